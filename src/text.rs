//! Text normalization shared by storage and search: diacritic folding, sort keys and slugs.

/// Lowercase ASCII with diacritics folded: "Cliënten" → "clienten". Used as the byte-wise sort
/// key (`sort_name`), so lists order the same on SQLite and PostgreSQL.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The folded words of `text`, joined by single spaces: "GGZ Noord-Holland-Noord" →
/// "ggz noord holland noord". Names and name queries are compared in this form, so punctuation
/// and diacritics never decide whether a name matches.
pub fn words(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len());
    for word in folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// What a name filter searches: the [`words`] of a name and of each of its other names, one
/// name per `|`-separated part, so that a query never matches across two names.
pub fn name_words<'a>(name: &str, other_names: impl IntoIterator<Item = &'a String>) -> String {
    let mut out = words(name);
    for other in other_names {
        out.push('|');
        out.push_str(&words(other));
    }
    out
}

/// A slug: lowercase ASCII words joined by `-`, diacritics folded:
/// "GGZ Noord-Holland-Noord" → "ggz-noord-holland-noord".
pub fn slugify(text: &str) -> String {
    words(text).replace(' ', "-")
}

/// True when `slug` is already in slug form.
pub fn is_slug(slug: &str) -> bool {
    !slug.is_empty() && slugify(slug) == slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_diacritics_and_punctuation() {
        assert_eq!(
            slugify("GGZ Noord-Holland-Noord"),
            "ggz-noord-holland-noord"
        );
        assert_eq!(slugify("HVO Querido"), "hvo-querido");
        assert_eq!(slugify("cliënten"), "clienten");
        assert_eq!(slugify("GGZ Friesland/Mind-up"), "ggz-friesland-mind-up");
        assert_eq!(slugify("  Leger des Heils "), "leger-des-heils");
        assert!(is_slug("ggz-friesland"));
        assert!(!is_slug("GGZ Friesland"));
        assert!(!is_slug("a--b"));
    }

    #[test]
    fn name_words_fold_punctuation_and_keep_names_apart() {
        assert_eq!(words("GGZ Noord-Holland-Noord"), "ggz noord holland noord");
        assert_eq!(words("  \"Cliënten\" & co. "), "clienten co");
        assert_eq!(words("\""), "");
        let aliases = [
            "Mentrum".to_owned(),
            "Jellinek (verslavingszorg)".to_owned(),
        ];
        assert_eq!(
            name_words("Arkin", &aliases),
            "arkin|mentrum|jellinek verslavingszorg"
        );
    }

    #[test]
    fn fold_lowercases_and_strips_accents() {
        assert_eq!(fold("Coördinatoren"), "coordinatoren");
        assert_eq!(fold("LEVANTOgroep"), "levantogroep");
    }
}
