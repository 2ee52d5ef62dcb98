//! Answering a search: the query's words are looked up in the index's vocabulary, each word
//! matching the terms of its stem (exact), of the words it begins (the last word as you type,
//! from two letters; any word of five letters or more, for Dutch compounds), of the words within one typo (from
//! five letters) or two (from nine), and of a word it begins with (a compound's first part).
//! Every word must match (AND); a document scores, per word, its best match (the field's score
//! times how exact the match is), summed over the words.
//!
//! A one-word query reads, for each of its terms and each kind of object, only the best
//! postings (a range of `idx_search_posting_rank`), and counts its facets from the terms'
//! counts; a longer query reads the postings of its rarest word and checks the others against
//! them, or, when every word is common, has the database combine the postings and return only
//! the counts and the page.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

use super::document::DocType;
use super::index::{int_list, placeholders, statement};
use super::text::{stem, tokens};

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a query may have.
pub const MAX_WORDS: usize = 10;
/// How deep the ranking can be paged: the first 1,000 hits (as Meilisearch's `maxTotalHits`).
pub const MAX_HITS: usize = 1000;
/// The most terms one word of the query matches.
const MAX_EXPANSIONS: usize = 20;
/// A longer query whose rarest word is in at most this many documents checks its other words
/// against those documents only; when every word is commoner, the database combines them.
const PROBE_AT_MOST: i64 = 2000;
/// The most words a prefix or a typo adds.
const MAX_VARIANTS: i64 = 20;

/// How exact a match is, in thousandths: it multiplies the field's score.
const EXACT: i64 = 1000;
const PREFIX: i64 = 900;
const ONE_TYPO: i64 = 600;
const COMPOUND: i64 = 500;
const TWO_TYPOS: i64 = 400;

/// The words of a query, folded; refused when the query is too long or has too many words.
/// A query with no letters or digits has no words (and finds nothing).
pub fn words(query: &str) -> AppResult<Vec<String>> {
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(AppError::bad_input(format!(
            "`query` may be at most {MAX_QUERY_CHARS} characters long, got {chars}"
        )));
    }
    let words: Vec<String> = tokens(query).into_iter().map(|t| t.word).collect();
    if words.len() > MAX_WORDS {
        return Err(AppError::bad_input(format!(
            "`query` may have at most {MAX_WORDS} words, got {}",
            words.len()
        )));
    }
    Ok(words)
}

/// What to search for, and which page of the ranking.
#[derive(Debug, Clone)]
pub struct Request {
    /// The query's words ([`words`]).
    pub words: Vec<String>,
    /// The kinds of object to return (the facets count every kind).
    pub types: Vec<DocType>,
    /// Hits to skip (from the cursor).
    pub offset: usize,
    /// Hits to return.
    pub first: usize,
}

impl Request {
    /// The cursor of the hit at `position` (0-based) of this search.
    pub fn cursor(&self, position: usize) -> String {
        URL_SAFE_NO_PAD.encode(format!("search|{}|{}", position, self.fingerprint()))
    }

    /// The number of hits before the one after `cursor`; refused when it is not a cursor of this
    /// search (another query, other types).
    pub fn offset_after(&self, cursor: &str) -> AppResult<usize> {
        let invalid = || AppError::bad_input("`after` is not a valid cursor for this search");
        let text = URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let mut parts = text.split('|');
        let (Some("search"), Some(position), Some(fingerprint), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let position: usize = position.parse().map_err(|_| invalid())?;
        if fingerprint != self.fingerprint() || position >= MAX_HITS {
            return Err(invalid());
        }
        Ok(position + 1)
    }

    fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        for word in &self.words {
            hash.update(word.as_bytes());
            hash.update(b" ");
        }
        for t in &self.types {
            hash.update(t.code().to_le_bytes());
        }
        hash.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One hit: an object and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The kind of object.
    pub doc_type: DocType,
    /// Its id.
    pub id: i32,
    /// Its score (higher first).
    pub score: i64,
}

/// A page of hits, the number of hits of each kind, and the terms the query matched.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The page of hits, best first.
    pub hits: Vec<Hit>,
    /// The number of hits of each kind (in [`DocType::ALL`] order), whatever the types asked.
    pub facets: [u64; 5],
    /// The number of hits of the kinds asked for.
    pub total: u64,
    /// The index terms matched (for marking the words of snippets).
    pub terms: Vec<String>,
}

#[derive(Debug, Clone)]
struct Expansion {
    term_id: i32,
    term: String,
    weight: i64,
    docs: i64,
    counts: [i64; 5],
}

fn expansion(row: &QueryResult, weight: i64) -> AppResult<Expansion> {
    let mut counts = [0; 5];
    for t in DocType::ALL {
        counts[t.index()] = i64::from(row.try_get::<i32>("", t.count_column())?);
    }
    Ok(Expansion {
        term_id: row.try_get("", "id")?,
        term: row.try_get("", "term")?,
        weight,
        docs: i64::from(row.try_get::<i32>("", "docs")?),
        counts,
    })
}

const TERM_COLUMNS: &str =
    "t.id, t.term, t.docs, t.organizations, t.partners, t.themes, t.tags, t.posts";

/// How one word of the query is looked up: the kinds of match it takes part in.
struct Lookup {
    /// The word, folded.
    word: String,
    /// Its stem.
    term: String,
    /// Whether it is the last word of the query (typed as you type).
    last: bool,
    /// How many typos it may have: none up to four letters, one from five, two from nine.
    typos: usize,
}

impl Lookup {
    fn new(word: &str, last: bool) -> Self {
        Self {
            word: word.to_owned(),
            term: stem(word),
            last,
            typos: match word.len() {
                0..=4 => 0,
                5..=8 => 1,
                _ => 2,
            },
        }
    }

    /// The stem, and the first parts of a compound ("herstelgericht" → "herstel").
    fn wanted(&self) -> Vec<String> {
        let mut wanted = vec![self.term.clone()];
        if self.term.len() >= 8 && self.term.is_ascii() {
            wanted.extend((5..=self.term.len() - 3).map(|n| self.term[..n].to_owned()));
        }
        wanted
    }

    /// Whether the words it begins count: the last word from two letters on (a single letter
    /// would pull in the most common words of the index), any other from five.
    fn prefixes(&self) -> bool {
        (self.last && self.word.len() >= 2) || self.word.len() >= 5
    }
}

/// The branches of a [`expand_all`] statement: `part` says which word and which kind of match
/// (exact or compound, prefix, typo) a row answers.
const EXACT_PART: i32 = 0;
const PREFIX_PART: i32 = 1;
const TYPO_PART: i32 = 2;

/// The terms each word of the query matches, best first, read in one statement: per word its
/// stem (and a compound's first parts), the words it begins, and the words within one typo
/// (from five letters) or two (from nine) with the same first letter, as Elasticsearch's fuzzy
/// queries do by default (`prefix_length` 1).
async fn expand_all(db: &impl ConnectionTrait, words: &[String]) -> AppResult<Vec<Vec<Expansion>>> {
    let lookups: Vec<Lookup> = words
        .iter()
        .enumerate()
        .map(|(i, w)| Lookup::new(w, i + 1 == words.len()))
        .collect();
    let mut branches = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for (i, lookup) in lookups.iter().enumerate() {
        let part = |kind: i32| i as i32 * 3 + kind;
        let wanted = lookup.wanted();
        branches.push(format!(
            "SELECT {} AS part, {TERM_COLUMNS}, t.term AS word FROM search_term t WHERE t.term IN ({})",
            part(EXACT_PART),
            placeholders(wanted.len())
        ));
        values.extend(wanted.into_iter().map(Value::from));
        if lookup.prefixes() {
            branches.push(format!(
                "SELECT * FROM (SELECT {} AS part, {TERM_COLUMNS}, w.word AS word FROM search_word w \
                 JOIN search_term t ON t.id = w.term_id WHERE w.word > ? AND w.word < ? \
                 ORDER BY t.docs DESC, w.word LIMIT {MAX_VARIANTS}) AS p{i}",
                part(PREFIX_PART)
            ));
            values.push(lookup.word.clone().into());
            values.push(format!("{}~", lookup.word).into());
        }
        if lookup.typos > 0 {
            let first = &lookup.word[..1];
            branches.push(format!(
                "SELECT {} AS part, {TERM_COLUMNS}, w.word AS word FROM search_word w \
                 JOIN search_term t ON t.id = w.term_id \
                 WHERE w.word >= ? AND w.word < ? AND LENGTH(w.word) BETWEEN ? AND ?",
                part(TYPO_PART)
            ));
            values.push(first.into());
            values.push(format!("{first}~").into());
            values.push(((lookup.word.len() - lookup.typos) as i32).into());
            values.push(((lookup.word.len() + lookup.typos) as i32).into());
        }
    }
    let rows = db
        .query_all_raw(statement(db, &branches.join(" UNION ALL "), values))
        .await?;
    let mut found: Vec<Vec<Expansion>> = vec![Vec::new(); lookups.len()];
    let mut near: Vec<Vec<(usize, Expansion)>> = vec![Vec::new(); lookups.len()];
    for row in &rows {
        let part: i32 = row.try_get("", "part")?;
        let (i, kind) = ((part / 3) as usize, part % 3);
        let Some(lookup) = lookups.get(i) else {
            continue;
        };
        match kind {
            EXACT_PART => {
                let e = expansion(row, COMPOUND)?;
                let weight = if e.term == lookup.term {
                    EXACT
                } else {
                    COMPOUND
                };
                found[i].push(Expansion { weight, ..e });
            }
            PREFIX_PART => {
                found[i].push(expansion(row, if lookup.last { PREFIX } else { COMPOUND })?);
            }
            _ => {
                let other: String = row.try_get("", "word")?;
                let distance = strsim::osa_distance(&lookup.word, &other);
                if distance > 0 && distance <= lookup.typos {
                    let weight = if distance == 1 { ONE_TYPO } else { TWO_TYPOS };
                    near[i].push((distance, expansion(row, weight)?));
                }
            }
        }
    }
    for (found, mut near) in found.iter_mut().zip(near) {
        near.sort_by(|(da, a), (db, b)| da.cmp(db).then(b.docs.cmp(&a.docs)));
        found.extend(near.into_iter().take(MAX_VARIANTS as usize).map(|(_, e)| e));
        // One entry per term, at its best weight.
        found.sort_by(|a, b| a.term_id.cmp(&b.term_id).then(b.weight.cmp(&a.weight)));
        found.dedup_by_key(|e| e.term_id);
        found.retain(|e| e.docs > 0);
        found.sort_by(|a, b| b.weight.cmp(&a.weight).then(b.docs.cmp(&a.docs)));
        found.truncate(MAX_EXPANSIONS);
    }
    Ok(found)
}

type Scores = HashMap<(DocType, i32), i64>;

fn add_posting(
    scores: &mut Scores,
    row: &QueryResult,
    weights: &HashMap<i32, i64>,
) -> AppResult<()> {
    let term: i32 = row.try_get("", "term_id")?;
    let code: i32 = row.try_get("", "doc_type")?;
    let id: i32 = row.try_get("", "entity_id")?;
    let score: i64 = row.try_get("", "score")?;
    let (Some(doc_type), Some(weight)) = (DocType::from_code(code), weights.get(&term)) else {
        return Ok(());
    };
    let value = score * weight;
    let best = scores.entry((doc_type, id)).or_default();
    *best = (*best).max(value);
    Ok(())
}

/// Runs `branches` (SELECTs of the same columns) as few statements of `UNION ALL`.
async fn union_all(db: &impl ConnectionTrait, branches: &[String]) -> AppResult<Vec<QueryResult>> {
    let mut rows = Vec::new();
    // SQLite allows at most 500 SELECTs in one compound statement.
    for chunk in branches.chunks(200) {
        rows.extend(
            db.query_all_raw(statement(db, &chunk.join(" UNION ALL "), vec![]))
                .await?,
        );
    }
    Ok(rows)
}

fn weights(expansions: &[Expansion]) -> HashMap<i32, i64> {
    expansions.iter().map(|e| (e.term_id, e.weight)).collect()
}

/// How a query of several words combines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// By the rarest word's number of documents (what [`search`] does).
    Auto,
    /// In Rust: the rarest word's postings, the others checked against them.
    InRust,
    /// In the database, in one statement (only when no term stands for two words).
    InDatabase,
}

/// Searches the index.
pub async fn search(db: &impl ConnectionTrait, request: &Request) -> AppResult<Outcome> {
    search_combining(db, request, Combine::Auto).await
}

/// [`search`], combining the words of a longer query as told (the tests check that every way
/// gives the same answer).
pub async fn search_combining(
    db: &impl ConnectionTrait,
    request: &Request,
    combine: Combine,
) -> AppResult<Outcome> {
    let mut outcome = Outcome::default();
    if request.words.is_empty() {
        return Ok(outcome);
    }
    let words = expand_all(db, &request.words).await?;
    for expansions in &words {
        outcome
            .terms
            .extend(expansions.iter().map(|e| e.term.clone()));
    }
    if words.iter().any(Vec::is_empty) {
        // Every word must match.
        return Ok(outcome);
    }
    let wanted = request.offset.saturating_add(request.first).min(MAX_HITS);
    let scores = if let [expansions] = words.as_slice() {
        let (facets, scores) = one_word(db, expansions, &request.types, wanted).await?;
        outcome.facets = facets;
        scores
    } else if distinct_terms(&words)
        && match combine {
            Combine::Auto => {
                words
                    .iter()
                    .map(|expansions| expansions.iter().map(|e| e.docs).sum::<i64>())
                    .min()
                    .unwrap_or(0)
                    > PROBE_AT_MOST
            }
            Combine::InRust => false,
            Combine::InDatabase => true,
        }
    {
        // Every word is common: the database combines the postings.
        let (facets, scores) = all_words_in_sql(db, &words, &request.types, wanted).await?;
        outcome.facets = facets;
        scores
    } else {
        let scores = all_words(db, words).await?;
        for (doc_type, _) in scores.keys() {
            outcome.facets[doc_type.index()] += 1;
        }
        scores
    };
    outcome.total = request
        .types
        .iter()
        .map(|t| outcome.facets[t.index()])
        .sum();
    let mut hits: Vec<Hit> = scores
        .into_iter()
        .filter(|((doc_type, _), _)| request.types.contains(doc_type))
        .map(|((doc_type, id), score)| Hit {
            doc_type,
            id,
            score,
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.doc_type.cmp(&b.doc_type))
            .then(b.id.cmp(&a.id))
    });
    outcome.hits = hits
        .into_iter()
        .skip(request.offset)
        .take(wanted.saturating_sub(request.offset))
        .collect();
    Ok(outcome)
}

/// A one-word query's facets and candidates, in one statement (rows of `part` 0 are counts,
/// rows of `part` 1 postings).
///
/// The candidates are the best `wanted` documents of each term and kind: every document of the
/// overall best `wanted` is among them, since its score is that of one of its terms.
///
/// The number of documents of each kind holding any of the terms is the counts of the most
/// common term (known from the vocabulary), plus, for each other term, its documents that none
/// of the terms before it holds.
async fn one_word(
    db: &impl ConnectionTrait,
    expansions: &[Expansion],
    types: &[DocType],
    wanted: usize,
) -> AppResult<([u64; 5], Scores)> {
    let mut by_docs: Vec<&Expansion> = expansions.iter().collect();
    by_docs.sort_by(|a, b| b.docs.cmp(&a.docs).then(a.term_id.cmp(&b.term_id)));
    let mut facets = [0u64; 5];
    if let Some(first) = by_docs.first() {
        for t in DocType::ALL {
            facets[t.index()] = first.counts[t.index()].max(0) as u64;
        }
    }
    let mut branches: Vec<String> = by_docs
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, e)| {
            format!(
                "SELECT 0 AS part, 0 AS term_id, p.doc_type AS doc_type, 0 AS entity_id, \
                 CAST(COUNT(*) AS BIGINT) AS score FROM search_posting p \
                 WHERE p.term_id = {} AND NOT EXISTS (SELECT 1 FROM search_posting q WHERE q.term_id IN ({}) \
                 AND q.doc_type = p.doc_type AND q.entity_id = p.entity_id) GROUP BY p.doc_type",
                e.term_id,
                int_list(by_docs[..i].iter().map(|e| e.term_id))
            )
        })
        .collect();
    if wanted > 0 {
        for e in expansions {
            for t in types {
                if e.counts[t.index()] > 0 {
                    branches.push(format!(
                        // The cast is outside: ordered by the column itself, the range of
                        // `idx_search_posting_rank` is read from its best end, not sorted.
                        "SELECT part, term_id, doc_type, entity_id, CAST(score AS BIGINT) AS score \
                         FROM (SELECT 1 AS part, term_id, doc_type, entity_id, score FROM search_posting \
                         WHERE term_id = {} AND doc_type = {} ORDER BY score DESC, entity_id DESC LIMIT {wanted}) AS b{}",
                        e.term_id,
                        t.code(),
                        branches.len()
                    ));
                }
            }
        }
    }
    let weights = weights(expansions);
    let mut scores = Scores::new();
    for row in union_all(db, &branches).await? {
        let part: i32 = row.try_get("", "part")?;
        if part == 1 {
            add_posting(&mut scores, &row, &weights)?;
            continue;
        }
        let code: i32 = row.try_get("", "doc_type")?;
        let count: i64 = row.try_get("", "score")?;
        if let Some(doc_type) = DocType::from_code(code) {
            facets[doc_type.index()] += count.max(0) as u64;
        }
    }
    Ok((facets, scores))
}

/// True when no term stands for two words of the query.
fn distinct_terms(words: &[Vec<Expansion>]) -> bool {
    let mut seen = std::collections::HashSet::new();
    words.iter().flatten().all(|e| seen.insert(e.term_id))
}

/// The facets and the best `wanted` documents that match every word, computed by the database
/// in one statement: each document's best match per word (its postings grouped by word), those
/// with a match for every word, their counts per kind and the best of them. Only the counts and
/// the page travel, not the postings.
async fn all_words_in_sql(
    db: &impl ConnectionTrait,
    words: &[Vec<Expansion>],
    types: &[DocType],
    wanted: usize,
) -> AppResult<([u64; 5], Scores)> {
    let mut word_of = String::from("CASE");
    let mut weight_of = String::from("CASE term_id");
    for (i, expansions) in words.iter().enumerate() {
        word_of.push_str(&format!(
            " WHEN term_id IN ({}) THEN {i}",
            int_list(expansions.iter().map(|e| e.term_id))
        ));
        for e in expansions {
            weight_of.push_str(&format!(" WHEN {} THEN {}", e.term_id, e.weight));
        }
    }
    word_of.push_str(" END");
    weight_of.push_str(" END");
    let all = int_list(words.iter().flatten().map(|e| e.term_id));
    let kinds = int_list(types.iter().map(|t| t.code()));
    let mut sql = format!(
        "WITH m AS MATERIALIZED (\
           SELECT doc_type, entity_id, SUM(s) AS score FROM (\
             SELECT doc_type, entity_id, {word_of} AS w, MAX(CAST(score AS BIGINT) * {weight_of}) AS s \
             FROM search_posting WHERE term_id IN ({all}) GROUP BY doc_type, entity_id, w\
           ) AS g GROUP BY doc_type, entity_id HAVING COUNT(*) = {n}\
         ) \
         SELECT 0 AS part, doc_type, 0 AS entity_id, CAST(COUNT(*) AS BIGINT) AS score FROM m GROUP BY doc_type",
        n = words.len()
    );
    if wanted > 0 && !types.is_empty() {
        sql.push_str(&format!(
            " UNION ALL SELECT * FROM (SELECT 1 AS part, doc_type, entity_id, CAST(score AS BIGINT) AS score FROM m \
             WHERE doc_type IN ({kinds}) ORDER BY score DESC, doc_type, entity_id DESC LIMIT {wanted}) AS top"
        ));
    }
    let mut facets = [0u64; 5];
    let mut scores = Scores::new();
    for row in db.query_all_raw(statement(db, &sql, vec![])).await? {
        let part: i32 = row.try_get("", "part")?;
        let code: i32 = row.try_get("", "doc_type")?;
        let score: i64 = row.try_get("", "score")?;
        let Some(doc_type) = DocType::from_code(code) else {
            continue;
        };
        if part == 0 {
            facets[doc_type.index()] = score.max(0) as u64;
        } else {
            scores.insert((doc_type, row.try_get("", "entity_id")?), score);
        }
    }
    Ok((facets, scores))
}

/// The documents that match every word, with their summed scores: the postings of the rarest
/// word, then each other word's postings of those documents.
async fn all_words(db: &impl ConnectionTrait, mut words: Vec<Vec<Expansion>>) -> AppResult<Scores> {
    words.sort_by_key(|expansions| expansions.iter().map(|e| e.docs).sum::<i64>());
    let mut candidates: Option<Scores> = None;
    for expansions in &words {
        let terms = int_list(expansions.iter().map(|e| e.term_id));
        let mut sql = format!(
            "SELECT term_id, doc_type, entity_id, CAST(score AS BIGINT) AS score FROM search_posting \
             WHERE term_id IN ({terms})"
        );
        if let Some(candidates) = &candidates {
            if candidates.is_empty() {
                break;
            }
            if candidates.len() as i64 <= PROBE_AT_MOST {
                let mut by_type: HashMap<DocType, Vec<i32>> = HashMap::new();
                for (doc_type, id) in candidates.keys() {
                    by_type.entry(*doc_type).or_default().push(*id);
                }
                let any: Vec<String> = by_type
                    .into_iter()
                    .map(|(t, ids)| {
                        format!(
                            "(doc_type = {} AND entity_id IN ({}))",
                            t.code(),
                            int_list(ids)
                        )
                    })
                    .collect();
                sql.push_str(&format!(" AND ({})", any.join(" OR ")));
            }
        }
        let rows = db.query_all_raw(statement(db, &sql, vec![])).await?;
        let mut scores = Scores::new();
        let weights = weights(expansions);
        for row in &rows {
            add_posting(&mut scores, row, &weights)?;
        }
        candidates = Some(match candidates {
            None => scores,
            Some(before) => before
                .into_iter()
                .filter_map(|(key, score)| scores.get(&key).map(|s| (key, score + s)))
                .collect(),
        });
    }
    Ok(candidates.unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_bounded() {
        assert_eq!(
            words("GGZ Noord-Holland!").unwrap(),
            ["ggz", "noord", "holland"]
        );
        assert!(words("\"\" *** ---").unwrap().is_empty());
        assert!(words(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(words(&"a ".repeat(MAX_WORDS + 1)).is_err());
    }

    #[test]
    fn cursors_belong_to_their_search() {
        let request = Request {
            words: vec!["ggz".into()],
            types: DocType::ALL.to_vec(),
            offset: 0,
            first: 10,
        };
        let cursor = request.cursor(9);
        assert_eq!(request.offset_after(&cursor).unwrap(), 10);
        let other = Request {
            words: vec!["zorg".into()],
            ..request.clone()
        };
        assert!(other.offset_after(&cursor).is_err());
        assert!(request.offset_after("bm90IGEgY3Vyc29y").is_err());
        assert!(request.offset_after("!!").is_err());
    }
}
