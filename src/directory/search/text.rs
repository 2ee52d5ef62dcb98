//! The search's language work, done in Rust so that SQLite and PostgreSQL index and look up the
//! same terms: words are runs of letters and digits (anything else separates them, so
//! "Noord-Holland-Noord" is three words), folded to lowercase ASCII ("Cliënten" → "clienten"),
//! and stemmed with the Dutch Snowball stemmer ("clienten" → "client"), after folding a plural
//! "-ies" to "-ie" ("organisaties" → "organisatie"), which the Snowball stemmer leaves alone.
//!
//! Changing any of this changes the terms: raise [`TOKENIZER_VERSION`], and the server rebuilds
//! the index at its next start.

use std::collections::HashSet;

use rust_stemmers::{Algorithm, Stemmer};

/// The version of the tokenizer and the scoring; an index built with another is rebuilt.
pub const TOKENIZER_VERSION: i32 = 1;

/// A word of a text: folded, with its place in the original text (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The folded word: lowercase ASCII letters and digits.
    pub word: String,
    /// Where it starts in the text.
    pub start: usize,
    /// Where it ends in the text.
    pub end: usize,
}

/// The words of `text`. A character that is a letter or digit in any script is folded to ASCII
/// (`deunicode`); whatever else (punctuation, spaces, symbols, emoji) separates words.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        let folded = if c.is_ascii_alphanumeric() {
            Ok(c.to_ascii_lowercase())
        } else if c.is_alphanumeric() {
            Err(deunicode::deunicode_char(c)
                .filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric())))
        } else {
            Err(None)
        };
        if word.is_empty() {
            start = at;
        }
        match folded {
            Ok(c) => word.push(c),
            Err(Some(folded)) => word.extend(folded.chars().map(|f| f.to_ascii_lowercase())),
            Err(None) => {
                if !word.is_empty() {
                    out.push(Token {
                        word: std::mem::take(&mut word),
                        start,
                        end: at,
                    });
                }
            }
        }
    }
    if !word.is_empty() {
        out.push(Token {
            word,
            start,
            end: text.len(),
        });
    }
    out
}

/// The index term of a folded word: its Dutch stem. Words with digits stay as they are.
pub fn stem(word: &str) -> String {
    if word.bytes().any(|b| b.is_ascii_digit()) {
        return word.to_owned();
    }
    // "organisaties", "relaties": the Snowball stemmer keeps the "s" after a vowel.
    let word = match word.strip_suffix("ies") {
        Some(base) if base.len() >= 3 => &word[..word.len() - 1],
        _ => word,
    };
    Stemmer::create(Algorithm::Dutch).stem(word).into_owned()
}

/// Escapes text for HTML (`&`, `<`, `>`, `"`, `'`).
pub fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Marks the words of a text that match a query: those whose term is one the query matched.
/// Its output is HTML: the text escaped, each matching word in `<mark>…</mark>`.
#[derive(Debug, Default)]
pub struct Highlighter {
    terms: HashSet<String>,
    /// Whether a folded word matches, for the words seen so far (the texts of one page of hits
    /// repeat their words).
    seen: std::sync::Mutex<std::collections::HashMap<String, bool>>,
}

/// The longest snippet, in characters (without the marks and the ellipses).
pub const SNIPPET_CHARS: usize = 200;

impl Highlighter {
    /// A highlighter of these index terms.
    pub fn new(terms: impl IntoIterator<Item = String>) -> Self {
        Self {
            terms: terms.into_iter().collect(),
            seen: Default::default(),
        }
    }

    fn matches(&self, text: &str) -> Vec<Token> {
        if self.terms.is_empty() {
            return Vec::new();
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        tokens(text)
            .into_iter()
            .filter(|t| match seen.get(&t.word) {
                Some(matches) => *matches,
                None => {
                    let matches = self.terms.contains(&stem(&t.word));
                    seen.insert(t.word.clone(), matches);
                    matches
                }
            })
            .collect()
    }

    /// True when a word of `text` matches.
    pub fn any(&self, text: &str) -> bool {
        !self.matches(text).is_empty()
    }

    /// The whole of `text`, escaped, with the matching words marked.
    pub fn mark(&self, text: &str) -> String {
        mark_range(text, &self.matches(text), 0, text.len())
    }

    /// An excerpt of `text` ([`Highlighter::snippet`]), or `None` when no word of it matches.
    pub fn snippet_if_any(&self, text: &str) -> Option<String> {
        let text = one_line(text);
        let matches = self.matches(&text);
        (!matches.is_empty()).then(|| excerpt(&text, &matches))
    }

    /// An excerpt of at most [`SNIPPET_CHARS`] characters of `text`, from a little before its
    /// first matching word (or from its start), cut at word boundaries, with `…` where it was
    /// cut, escaped, with the matching words marked.
    pub fn snippet(&self, text: &str) -> String {
        let text = one_line(text);
        let matches = self.matches(&text);
        excerpt(&text, &matches)
    }
}

/// Runs of white space (a Markdown text's paragraphs) as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn mark_range(text: &str, matches: &[Token], from: usize, to: usize) -> String {
    let mut out = String::with_capacity(to - from + 16);
    let mut at = from;
    for token in matches {
        if token.start < from || token.end > to {
            continue;
        }
        escape_html(&text[at..token.start], &mut out);
        out.push_str("<mark>");
        escape_html(&text[token.start..token.end], &mut out);
        out.push_str("</mark>");
        at = token.end;
    }
    escape_html(&text[at..to], &mut out);
    out
}

fn excerpt(text: &str, matches: &[Token]) -> String {
    let first = matches.first().map_or(0, |t| t.start);
    // Start up to 60 characters before the first match, at the start of a word.
    let mut from = 0;
    if first > 0 {
        let before: Vec<(usize, char)> = text[..first].char_indices().collect();
        let back = before.len().saturating_sub(60);
        from = before.get(back).map_or(0, |(i, _)| *i);
        if from > 0 {
            from = tokens(&text[from..first])
                .first()
                .map_or(first, |t| from + t.start);
        }
    }
    let mut to = text.len();
    if let Some((i, _)) = text[from..].char_indices().nth(SNIPPET_CHARS) {
        let cut = from + i;
        // End at the end of the last whole word before the cut.
        to = tokens(&text[from..cut])
            .iter()
            .rev()
            .find(|t| from + t.end < cut)
            .map_or(cut, |t| from + t.end);
    }
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(&mark_range(text, matches, from, to));
    if to < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.word).collect()
    }

    #[test]
    fn words_fold_case_diacritics_and_punctuation() {
        assert_eq!(
            words("GGZ Noord-Holland-Noord"),
            ["ggz", "noord", "holland", "noord"]
        );
        assert_eq!(words("Cliënten & naasten!"), ["clienten", "naasten"]);
        assert_eq!(
            words("\"ggz\" AND -friesland*"),
            ["ggz", "and", "friesland"]
        );
        assert_eq!(words("🙂 ggz🙂friesland"), ["ggz", "friesland"]);
        assert!(words("!!! ... ---").is_empty());
        let t = tokens("Über cliënt");
        assert_eq!(&"Über cliënt"[t[1].start..t[1].end], "cliënt");
    }

    #[test]
    fn dutch_stems_conflate_word_forms() {
        assert_eq!(stem("clienten"), stem("client"));
        assert_eq!(stem("organisaties"), stem("organisatie"));
        assert_eq!(stem("bijeenkomsten"), stem("bijeenkomst"));
        assert_eq!(stem("deelnemers"), stem("deelnemer"));
        assert_eq!(stem("2021"), "2021");
    }

    #[test]
    fn snippets_escape_and_mark() {
        let h = Highlighter::new([stem("clienten")]);
        assert_eq!(
            h.mark("<b>Cliënten</b> & co"),
            "&lt;b&gt;<mark>Cliënten</mark>&lt;/b&gt; &amp; co"
        );
        let long = format!(
            "{} de cliënt staat centraal. {}",
            "woord ".repeat(40),
            "rest ".repeat(60)
        );
        let s = h.snippet(&long);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>cliënt</mark>"), "{s}");
        assert!(s.chars().count() <= SNIPPET_CHARS + 2 + 13, "{s}");
    }
}
