//! What is searchable: the five kinds of document, the fields of each with their weight, and the
//! score of a term in a document. Only what anyone may read is indexed (the rows visible to an
//! anonymous caller: published posts, nothing deleted); authors' names and e-mail addresses are
//! never indexed.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};

use crate::auth::Viewer;
use crate::directory::visible::Visible;
use crate::entity::{organization, partner, post, tag, theme};
use crate::error::AppResult;

use super::text::{stem, tokens};

/// A kind of searchable object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocType {
    /// An organization.
    Organization,
    /// A partner body.
    Partner,
    /// A theme.
    Theme,
    /// A tag.
    Tag,
    /// A published post.
    Post,
}

impl DocType {
    /// Every kind, in the order of the facets (and of equal scores).
    pub const ALL: [DocType; 5] = [
        DocType::Organization,
        DocType::Partner,
        DocType::Theme,
        DocType::Tag,
        DocType::Post,
    ];

    /// The number stored in the index.
    pub fn code(self) -> i32 {
        self as i32 + 1
    }

    /// The kind of a stored number.
    pub fn from_code(code: i32) -> Option<Self> {
        Self::ALL.get(usize::try_from(code - 1).ok()?).copied()
    }

    /// Its place in [`DocType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The table, which is also the change feed's entity type.
    pub fn table(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::Partner => "partner",
            Self::Theme => "theme",
            Self::Tag => "tag",
            Self::Post => "post",
        }
    }

    /// The kind of a change-feed entity type (none for what is not searchable).
    pub fn from_table(table: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.table() == table)
    }

    /// The column of `search_term` counting the documents of this kind.
    pub fn count_column(self) -> &'static str {
        match self {
            Self::Organization => "organizations",
            Self::Partner => "partners",
            Self::Theme => "themes",
            Self::Tag => "tags",
            Self::Post => "posts",
        }
    }
}

/// How much a field counts: a match in a name outranks any match in another name, which
/// outranks any match in a text, however often the text repeats the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The name or title.
    Name,
    /// An also-known-as name, a short name, the slug.
    Alias,
    /// A description, role, city or body.
    Body,
}

/// The searchable fields of an object, in the order snippets prefer them.
pub trait Searchable: Visible {
    /// The kind of document.
    const TYPE: DocType;
    /// The name or title (what a hit's `title` shows).
    fn title(&self) -> &str;
    /// The fields and their weights.
    fn fields(&self) -> Vec<(Field, &str)>;
    /// The texts a snippet is cut from, preferred first.
    fn snippet_sources(&self) -> Vec<&str>;
}

impl Searchable for organization::Model {
    const TYPE: DocType = DocType::Organization;
    fn title(&self) -> &str {
        &self.name
    }
    fn fields(&self) -> Vec<(Field, &str)> {
        let mut fields = vec![
            (Field::Name, self.name.as_str()),
            (Field::Alias, &self.slug),
        ];
        fields.extend(
            self.also_known_as
                .0
                .iter()
                .map(|a| (Field::Alias, a.as_str())),
        );
        fields.push((Field::Body, &self.description));
        fields.extend(self.city.as_deref().map(|c| (Field::Body, c)));
        fields
    }
    fn snippet_sources(&self) -> Vec<&str> {
        let mut out = vec![self.description.as_str()];
        out.extend(self.also_known_as.0.iter().map(String::as_str));
        out.extend(self.city.as_deref());
        out
    }
}

impl Searchable for partner::Model {
    const TYPE: DocType = DocType::Partner;
    fn title(&self) -> &str {
        &self.name
    }
    fn fields(&self) -> Vec<(Field, &str)> {
        let mut fields = vec![
            (Field::Name, self.name.as_str()),
            (Field::Alias, &self.slug),
        ];
        fields.extend(self.short_name.as_deref().map(|s| (Field::Alias, s)));
        fields.push((Field::Body, &self.role));
        fields.push((Field::Body, &self.description));
        fields
    }
    fn snippet_sources(&self) -> Vec<&str> {
        let mut out = vec![self.description.as_str(), &self.role];
        out.extend(self.short_name.as_deref());
        out
    }
}

macro_rules! searchable_term {
    ($module:ident, $type:ident) => {
        impl Searchable for $module::Model {
            const TYPE: DocType = DocType::$type;
            fn title(&self) -> &str {
                &self.name
            }
            fn fields(&self) -> Vec<(Field, &str)> {
                let mut fields = vec![
                    (Field::Name, self.name.as_str()),
                    (Field::Alias, &self.slug),
                ];
                fields.extend(self.description.as_deref().map(|d| (Field::Body, d)));
                fields
            }
            fn snippet_sources(&self) -> Vec<&str> {
                self.description.as_deref().into_iter().collect()
            }
        }
    };
}
searchable_term!(theme, Theme);
searchable_term!(tag, Tag);

impl Searchable for post::Model {
    const TYPE: DocType = DocType::Post;
    fn title(&self) -> &str {
        &self.title
    }
    fn fields(&self) -> Vec<(Field, &str)> {
        // Not the author's name: personal data, which an erasure must not leave behind in the
        // index's vocabulary.
        vec![
            (Field::Name, self.title.as_str()),
            (Field::Body, &self.body),
        ]
    }
    fn snippet_sources(&self) -> Vec<&str> {
        vec![self.body.as_str()]
    }
}

/// A document's terms and their scores, and the words as written with their terms.
#[derive(Debug, Default)]
pub struct Analyzed {
    /// Term → score.
    pub terms: HashMap<String, i32>,
    /// Folded word → term.
    pub words: HashMap<String, String>,
}

/// The score of a term in one field. Names: 1,000 plus up to 200 for a short name (a match of
/// one word of two outranks one of one word of five); other names: 400 plus up to 100; texts:
/// 100 plus 4 for each occurrence up to 5. So the field decides first and the busier field
/// never drowns the name.
fn field_score(field: Field, words_in_field: usize, occurrences: usize) -> i32 {
    let n = words_in_field.max(1) as i32;
    match field {
        Field::Name => 1000 + 200 / n,
        Field::Alias => 400 + 100 / n,
        Field::Body => 100 + 4 * occurrences.min(5) as i32,
    }
}

/// Analyzes a document's fields: each term scores as in its best field.
pub fn analyze(fields: &[(Field, &str)]) -> Analyzed {
    let mut out = Analyzed::default();
    for (field, text) in fields {
        let tokens = tokens(text);
        let mut counts: HashMap<String, usize> = HashMap::new();
        for token in &tokens {
            let term = match out.words.get(&token.word) {
                Some(term) => term.clone(),
                None => {
                    let term = stem(&token.word);
                    out.words.insert(token.word.clone(), term.clone());
                    term
                }
            };
            *counts.entry(term).or_default() += 1;
        }
        for (term, occurrences) in counts {
            let score = field_score(*field, tokens.len(), occurrences);
            let best = out.terms.entry(term).or_default();
            *best = Ord::max(*best, score);
        }
    }
    out
}

/// The rows of `M` among `ids` that anyone may read.
pub async fn visible_rows<M: Searchable>(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> AppResult<Vec<M>> {
    let mut select = Query::select();
    select
        .column((Alias::new(M::TABLE), Asterisk))
        .from(Alias::new(M::TABLE))
        .cond_where(
            M::visible_to(&Viewer::Anonymous).add(
                Expr::col((Alias::new(M::TABLE), Alias::new("id"))).is_in(ids.iter().copied()),
            ),
        );
    let rows = db.query_all(&select).await?;
    Ok(rows
        .iter()
        .map(|row| M::from_query_result(row, ""))
        .collect::<Result<_, _>>()?)
}

/// A page of the rows of `M` that anyone may read, by id, after `after`.
pub async fn visible_page<M: Searchable>(
    db: &impl ConnectionTrait,
    after: i32,
    limit: u64,
) -> AppResult<Vec<M>> {
    let id = || Expr::col((Alias::new(M::TABLE), Alias::new("id")));
    let mut select = Query::select();
    select
        .column((Alias::new(M::TABLE), Asterisk))
        .from(Alias::new(M::TABLE))
        .cond_where(M::visible_to(&Viewer::Anonymous).add(id().gt(after)))
        .order_by_expr(id(), sea_orm::Order::Asc)
        .limit(limit);
    let rows = db.query_all(&select).await?;
    Ok(rows
        .iter()
        .map(|row| M::from_query_result(row, ""))
        .collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_outranks_a_busy_text() {
        let doc = analyze(&[
            (Field::Name, "Parnassia"),
            (
                Field::Body,
                "herstel herstel herstel herstel herstel herstel parnassia",
            ),
        ]);
        assert_eq!(doc.terms["parnassia"], 1200);
        assert_eq!(doc.terms[&stem("herstel")], 120);
        let other = analyze(&[(Field::Alias, "Mentrum")]);
        assert!(other.terms["mentrum"] > doc.terms[&stem("herstel")]);
        assert_eq!(
            DocType::from_code(DocType::Post.code()),
            Some(DocType::Post)
        );
        assert_eq!(DocType::from_code(0), None);
    }
}
