//! The `search` root field: one box over organizations, partner bodies, themes, tags and
//! published posts, answered by the core's search (`directory::search`). A thin face: it checks
//! the page arguments, asks the core, loads the objects through the ordinary loaders (so a hit
//! is shown only as its caller may see it) and shapes the hits with their marked titles and
//! snippets.

use std::collections::HashMap;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, Object, Union};

use crate::db::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::directory::search::{self, DocType, Highlighter, Searchable};
use crate::entity::{organization, partner, post, tag, theme};
use crate::error::{AppError, AppResult};
use crate::graphql::loader::by_ids;
use crate::graphql::organization::Organization;
use crate::graphql::partner::Partner;
use crate::graphql::post::Post;
use crate::graphql::vocabulary::{Tag, Theme};

/// A kind of object the search finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum SearchType {
    /// Organizations (participants and others).
    Organization,
    /// Partner bodies.
    Partner,
    /// Themes.
    Theme,
    /// Tags.
    Tag,
    /// Published posts.
    Post,
}

impl From<SearchType> for DocType {
    fn from(t: SearchType) -> Self {
        match t {
            SearchType::Organization => DocType::Organization,
            SearchType::Partner => DocType::Partner,
            SearchType::Theme => DocType::Theme,
            SearchType::Tag => DocType::Tag,
            SearchType::Post => DocType::Post,
        }
    }
}

impl From<DocType> for SearchType {
    fn from(t: DocType) -> Self {
        match t {
            DocType::Organization => SearchType::Organization,
            DocType::Partner => SearchType::Partner,
            DocType::Theme => SearchType::Theme,
            DocType::Tag => SearchType::Tag,
            DocType::Post => SearchType::Post,
        }
    }
}

/// An object the search found.
#[derive(Union)]
pub enum SearchResult {
    /// An organization.
    Organization(Organization),
    /// A partner body.
    Partner(Partner),
    /// A theme.
    Theme(Theme),
    /// A tag.
    Tag(Tag),
    /// A published post.
    Post(Post),
}

/// One hit of a search: the object found, its place in the ranking (`cursor`), its score, and
/// its name and an excerpt with the matched words marked.
pub struct SearchHit {
    cursor: String,
    node: SearchResult,
    doc_type: DocType,
    score: f64,
    title: String,
    snippet: String,
}

/// One hit of a search: the object found, its place in the ranking (`cursor`), its score, and
/// its name and an excerpt with the matched words marked.
#[Object]
impl SearchHit {
    /// The opaque cursor of this hit, for `after`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The object found.
    async fn node(&self) -> &SearchResult {
        &self.node
    }

    /// The kind of object.
    #[graphql(name = "type")]
    async fn doc_type(&self) -> SearchType {
        self.doc_type.into()
    }

    /// How well the object matches; higher is better. Only comparable within one search.
    async fn score(&self) -> f64 {
        self.score
    }

    /// The object's name or title as HTML: the text escaped, each matched word in
    /// `<mark>…</mark>`.
    async fn title(&self) -> &str {
        &self.title
    }

    /// An excerpt of at most 200 characters of the object's description (a post's text), from
    /// a little before its first matched word, as HTML: the text escaped, each matched word in
    /// `<mark>…</mark>`, `…` where the text was cut. Empty when the object has no text.
    async fn snippet(&self) -> &str {
        &self.snippet
    }
}

/// The number of hits of one kind of object.
pub struct SearchFacet {
    doc_type: DocType,
    count: u64,
}

/// The number of hits of one kind of object.
#[Object]
impl SearchFacet {
    /// The kind of object.
    #[graphql(name = "type")]
    async fn doc_type(&self) -> SearchType {
        self.doc_type.into()
    }

    /// How many objects of this kind match the query.
    async fn count(&self) -> u64 {
        self.count
    }
}

/// A page of the ranked hits of a search, with the number of hits of each kind.
pub struct SearchConnection {
    hits: Vec<SearchHit>,
    has_previous: bool,
    has_next: bool,
    total: u64,
    facets: [u64; 5],
}

/// A page of the ranked hits of a search, with the number of hits of each kind.
#[Object]
impl SearchConnection {
    /// The hits of this page, best first, each with its cursor.
    async fn edges(&self) -> &[SearchHit] {
        &self.hits
    }

    /// The objects of this page, best first.
    async fn nodes(&self) -> Vec<&SearchResult> {
        self.hits.iter().map(|h| &h.node).collect()
    }

    /// Where this page sits in the ranking, and the cursor to continue from. The ranking can
    /// be paged up to its 1,000th hit.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start_cursor: self.hits.first().map(|h| h.cursor.clone()),
            end_cursor: self.hits.last().map(|h| h.cursor.clone()),
        }
    }

    /// The number of hits of the kinds asked for (`types`).
    async fn total_count(&self) -> u64 {
        self.total
    }

    /// The number of hits of each kind of object, whatever `types` asked for (to show as
    /// tabs or filters), in the order organization, partner, theme, tag, post.
    async fn facets(&self) -> Vec<SearchFacet> {
        DocType::ALL
            .into_iter()
            .map(|doc_type| SearchFacet {
                doc_type,
                count: self.facets[doc_type.index()],
            })
            .collect()
    }
}

/// The `search` root field.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches organizations, partner bodies, themes, tags and published posts, best match
    /// first. Words are compared with case, diacritics and punctuation ignored ("clienten"
    /// finds "Cliënten", "noord holland" finds "Noord-Holland-Noord"), by their Dutch stem
    /// ("organisaties" finds "organisatie"), the last word also as the start of a word
    /// ("parn" finds "Parnassia"), with one typo forgiven from five letters and two from nine
    /// ("Dimense" finds "Dimence"); other names count as names ("Mentrum" finds Arkin). Every
    /// word must match. A match in a name outranks one in another name, which outranks one in
    /// a text. Punctuation, quotes and operators have no meaning; a query without letters or
    /// digits finds nothing. At most 200 characters and 10 words (`BAD_USER_INPUT`). The
    /// index follows every committed change within a second.
    #[graphql(complexity = "crate::graphql::connection::cost(first, None, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to search for: words, as typed.")] query: String,
        #[graphql(desc = "Return the first n hits (0-100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return hits after this cursor (of the same query and types).")]
        after: Option<String>,
        #[graphql(desc = "Only these kinds of object (all when not given).")] types: Option<
            Vec<SearchType>,
        >,
    ) -> AppResult<SearchConnection> {
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(AppError::bad_input(format!(
                "`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}"
            )));
        }
        let mut types: Vec<DocType> = match types {
            Some(types) => types.into_iter().map(DocType::from).collect(),
            None => DocType::ALL.to_vec(),
        };
        types.sort();
        types.dedup();
        let mut request = search::Request {
            words: search::query::words(&query)?,
            types,
            offset: 0,
            first: first as usize,
        };
        if let Some(after) = &after {
            request.offset = request.offset_after(after)?;
        }
        let outcome = search::search(crate::graphql::db(ctx), &request).await?;
        let highlighter = Highlighter::new(outcome.terms.iter().cloned());
        let mut wanted: HashMap<DocType, Vec<i32>> = HashMap::new();
        for hit in &outcome.hits {
            wanted.entry(hit.doc_type).or_default().push(hit.id);
        }
        let ids = |t: DocType| wanted.get(&t).map(Vec::as_slice).unwrap_or_default();
        // The kinds load side by side, each in one statement.
        let (organizations, partners, themes, tags, posts) = futures_util::try_join!(
            load(ctx, ids(DocType::Organization)),
            load(ctx, ids(DocType::Partner)),
            load(ctx, ids(DocType::Theme)),
            load(ctx, ids(DocType::Tag)),
            load(ctx, ids(DocType::Post)),
        )?;
        let mut found = Found {
            organizations,
            partners,
            themes,
            tags,
            posts,
        };
        let reachable = (outcome.total as usize).min(search::query::MAX_HITS);
        let mut hits = Vec::with_capacity(outcome.hits.len());
        for (i, hit) in outcome.hits.iter().enumerate() {
            // An object hidden since it was indexed is not shown (the index follows within a
            // second).
            let Some((node, title, snippet)) = found.take(hit.doc_type, hit.id, &highlighter)
            else {
                continue;
            };
            hits.push(SearchHit {
                cursor: request.cursor(request.offset + i),
                node,
                doc_type: hit.doc_type,
                score: hit.score as f64 / 1000.0,
                title,
                snippet,
            });
        }
        Ok(SearchConnection {
            has_previous: request.offset > 0,
            has_next: request.offset + outcome.hits.len() < reachable,
            total: outcome.total,
            facets: outcome.facets,
            hits,
        })
    }
}

async fn load<M: Searchable>(ctx: &Context<'_>, ids: &[i32]) -> AppResult<HashMap<i32, M>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    by_ids::<M>(ctx, ids).await
}

/// The objects of a page of hits, by kind and id.
struct Found {
    organizations: HashMap<i32, organization::Model>,
    partners: HashMap<i32, partner::Model>,
    themes: HashMap<i32, theme::Model>,
    tags: HashMap<i32, tag::Model>,
    posts: HashMap<i32, post::Model>,
}

/// The marked title and the snippet of an object.
fn shape<M: Searchable>(model: &M, highlighter: &Highlighter) -> (String, String) {
    let sources = model.snippet_sources();
    // The first text with a matched word, else the first text there is.
    let snippet = sources
        .iter()
        .find_map(|s| highlighter.snippet_if_any(s))
        .or_else(|| {
            sources
                .iter()
                .find(|s| !s.trim().is_empty())
                .map(|s| highlighter.snippet(s))
        })
        .unwrap_or_default();
    (highlighter.mark(model.title()), snippet)
}

impl Found {
    fn take(
        &mut self,
        doc_type: DocType,
        id: i32,
        highlighter: &Highlighter,
    ) -> Option<(SearchResult, String, String)> {
        macro_rules! take {
            ($map:ident, $variant:ident) => {{
                let model = self.$map.remove(&id)?;
                let (title, snippet) = shape(&model, highlighter);
                Some((SearchResult::$variant($variant(model)), title, snippet))
            }};
        }
        match doc_type {
            DocType::Organization => take!(organizations, Organization),
            DocType::Partner => take!(partners, Partner),
            DocType::Theme => take!(themes, Theme),
            DocType::Tag => take!(tags, Tag),
            DocType::Post => take!(posts, Post),
        }
    }
}
