//! Whole-subtree answers: a root field whose selection asks only for what this module knows
//! (plain fields, lists and to-one links of the directory's public types) is answered as one
//! value, built level by level, instead of resolving every field of every object through the
//! executor.
//!
//! Each level costs what the DataLoaders cost: one statement per relation for all the parents of
//! that level, from the same core reads ([`Relation::spec`] for who sees what,
//! [`crate::db::page::Listing::pages_by_parent`] for the pages). What it saves is the executor's
//! work per field (a future, a context and an extension call for each of the thousands of
//! fields of a directory page), which is most of a computed page's CPU.
//!
//! A selection with anything else (a fragment, a directive, a field that can be refused or needs
//! arguments this module does not read, a response key selected twice, an argument the core
//! refuses) is resolved by the executor as before, whole: the answer is the same either way, only
//! its cost differs. With `FAST_PATH=check` both run and must agree (the test suite runs so).

use std::sync::Mutex;

use async_graphql::context::SelectionField;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::{Context, ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use futures_util::future::BoxFuture;

use crate::config::FastPath;
use crate::db::IdMap;
use crate::db::json_rows::JsonRow;
use crate::db::page::{Link, Listing, Page, PageArgs, PageRequest, Row, SortKey};
use crate::db::snapshot::Snapshots;
use crate::directory::relation::Relation;
use crate::directory::visible::Visible;
use crate::error::{AppError, AppResult};
use crate::graphql::connection::{Conn, connection};
use crate::graphql::raw::{self, Frags, Splices};
use crate::graphql::response_order::BuiltRoots;
use crate::graphql::{reads, release, viewer};

/// How root fields are answered, and the count of each way (`graphql_subtrees_total`).
#[derive(Clone)]
pub struct Subtrees {
    /// `FAST_PATH`.
    pub mode: FastPath,
    /// Root fields answered in one pass (`built`) or by the executor (`executor`).
    pub answers: prometheus::IntCounterVec,
    /// The vocabularies kept in memory, which an object's few regions, target groups, themes
    /// and tags are taken from.
    pub snapshots: Snapshots,
}

/// A GraphQL type whose objects this module can answer for: its row, its plain fields and its
/// relations.
pub trait Subtree: OutputType + 'static {
    /// The stored row behind an object.
    type Row: Visible + JsonRow + PartialEq;

    /// The value of the plain field `field` of `row`, or `None` when `field` is not a plain
    /// field this module may answer (it then leaves the selection to the executor).
    fn leaf<'r>(row: &'r Self::Row, field: &str) -> Option<Leaf<'r>>;

    /// The columns only some fields are made from, each with those fields (none: a column no
    /// field of this module shows). A list reads such a column only when one of its fields is
    /// selected: a directory page's JSON is then its names, not every organization's description
    /// and a post's body. Every column not named here (the id, the sort keys, the columns of
    /// [`Linked::One`] links) is always read; a column named here must be one the model may do
    /// without (`#[serde(default)]` or an `Option`, see [`crate::entity`]).
    const COLUMNS: &'static [(&'static str, &'static [&'static str])] = &[];

    /// What `field` links to, if it is a relation this module may answer.
    fn link(field: &str) -> Option<Linked<Self::Row>> {
        let _ = field;
        None
    }
}

/// A relation of a type, as [`Subtree::link`] describes it.
pub enum Linked<R> {
    /// A list (a connection) of objects of `Kind`.
    List(Relation, Kind),
    /// One object of `Kind` by the id the row holds (`null` when it has none, or the caller may
    /// not see it).
    One(Kind, fn(&R) -> Option<i32>),
    /// An organization's care domains.
    CareDomains,
}

/// The types [`Subtree`] is implemented for.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `Organization`
    Organization,
    /// `Post`
    Post,
    /// `Region`
    Region,
    /// `TargetGroup`
    TargetGroup,
    /// `Theme`
    Theme,
    /// `Tag`
    Tag,
}

/// The answer of a root field: built whole (as JSON text), or left to the executor (or both, to
/// compare).
pub enum Resolved<T> {
    /// The whole answer, built here.
    Built(Mutex<Option<String>>),
    /// The objects, for the executor to resolve field by field.
    Objects(T),
    /// Both: the executor's answer is returned, and must equal the one built here.
    Checked(Mutex<Option<String>>, T),
}

impl<T: OutputType> OutputType for Resolved<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self {
            // Spliced into the response as it is serialized, or (outside the HTTP face) read
            // back as a value.
            Resolved::Built(text) => Ok(match ctx.data_opt::<Splices>() {
                Some(splices) => splices.hold(take(text)),
                None => serde_json::from_str(&take(text)).unwrap_or(Value::Null),
            }),
            Resolved::Objects(objects) => objects.resolve(ctx, field).await,
            Resolved::Checked(text, objects) => {
                let built = serde_json::from_str::<serde_json::Value>(&take(text)).ok();
                let resolved = objects.resolve(ctx, field).await?;
                // As JSON: the executor's enum values are strings there, as in the response.
                if built.as_ref() == resolved.clone().into_json().ok().as_ref() {
                    Ok(resolved)
                } else {
                    tracing::error!(
                        field = %field.node.name.node,
                        built = ?built,
                        resolved = %resolved,
                        "the subtree answer differs from the executor's"
                    );
                    let error = async_graphql::Error::from(AppError::internal(
                        "the subtree answer differs from the executor's",
                    ));
                    Err(error.into_server_error(field.pos))
                }
            }
        }
    }
}

fn take(text: &Mutex<Option<String>>) -> String {
    text.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_else(|| "null".to_owned())
}

fn mode(ctx: &Context<'_>) -> FastPath {
    ctx.data_opt::<Subtrees>()
        .map_or(FastPath::Off, |subtrees| subtrees.mode)
}

fn count(ctx: &Context<'_>, answer: &str) {
    if let Some(subtrees) = ctx.data_opt::<Subtrees>() {
        subtrees.answers.with_label_values(&[answer]).inc();
    }
    // A built answer's keys are in selection order at every level (`assemble`).
    if answer == "built"
        && let Some(built) = ctx.data_opt::<BuiltRoots>()
    {
        built.add();
    }
}

/// The answer of a root field that returns a page of `listing` (objects of `T`).
///
/// Unless `FAST_PATH=off` or the selection has a fragment or a directive, the page is read
/// without the columns no selected field is made from (as one JSON value on SQLite; on PostgreSQL
/// as rows with those columns empty where they can be) and the
/// answer is built from it in one pass. When the module leaves the selection to the executor
/// after all, the page is read again whole unless it already was (the executor's fields may
/// read any column). With
/// `check`, the page is also read as rows and whole as JSON, and the two must agree.
pub async fn page<T: Subtree>(
    ctx: &Context<'_>,
    listing: &Listing,
    args: PageArgs,
    wrap: impl Fn(T::Row) -> T,
) -> AppResult<Resolved<Conn<T>>> {
    let sort = &listing.sort;
    let mode = mode(ctx);
    if mode == FastPath::Off || !plain(&ctx.item.node, 0) {
        let rows = crate::graphql::list(ctx, listing, args).await?;
        return Ok(resolved(ctx, None, || connection(rows, sort, wrap)));
    }
    let request = PageRequest::parse(args.clone(), sort.name)?;
    let total = crate::graphql::connection::wants_total(ctx);
    let field = ctx.field();
    let left_out = left_out::<T>(&field);
    // A page read with every column (nothing left out, or on PostgreSQL nothing it reads as
    // empty) also serves the executor.
    let whole = left_out.is_empty()
        || (crate::db::is_postgres(&reads(ctx))
            && crate::db::page::columns::<T::Row>(listing.table, &left_out).is_none());
    // The executor's page (and the check's) always looks ahead; the built one only when shown.
    let shown = PageRequest {
        lookahead: lookahead(&field),
        ..request.clone()
    };
    let narrow: Page<T::Row> = listing
        .page_json(&reads(ctx), &shown, total, &left_out)
        .await?;
    let checked = if mode == FastPath::Check {
        let json: Page<T::Row> = listing.page_json(&reads(ctx), &request, total, &[]).await?;
        release(ctx).await;
        let rows: Page<T::Row> = crate::graphql::list(ctx, listing, args.clone()).await?;
        let ids = |page: &Page<T::Row>| page.rows.iter().map(|row| row.id()).collect::<Vec<_>>();
        if json.rows != rows.rows
            || ids(&narrow) != ids(&rows)
            || (json.has_next, json.has_previous, json.total)
                != (rows.has_next, rows.has_previous, rows.total)
        {
            return Err(AppError::internal(
                "a page read as JSON differs from the page read by rows",
            ));
        }
        Some(rows)
    } else {
        None
    };
    let built = connections::<T>(ctx, std::slice::from_ref(&narrow), sort, field).await;
    release(ctx).await;
    let built = built?.and_then(Frags::into_single);
    let built = match (built, mode) {
        (Some(value), FastPath::On) => {
            count(ctx, "built");
            return Ok(Resolved::Built(Mutex::new(Some(value))));
        }
        (built, _) => built,
    };
    let rows = match checked {
        Some(rows) => rows,
        None if whole => narrow,
        None => crate::graphql::list(ctx, listing, args).await?,
    };
    Ok(resolved(ctx, built, || connection(rows, sort, wrap)))
}

/// The row with `slug` that a root field answers for ([`one`]), read on the request's held
/// connection, which the answer then reads on and lets go.
pub async fn row_by_slug<M: Visible>(ctx: &Context<'_>, slug: &str) -> AppResult<Option<M>> {
    let row = crate::directory::visible::by_slug(&reads(ctx), viewer(ctx), slug).await;
    if row.is_err() {
        release(ctx).await;
    }
    row
}

/// The answer of a root field that returns one `T` or `null` (it lets the request's held
/// connection go).
pub async fn one<T: Subtree>(
    ctx: &Context<'_>,
    row: Option<T::Row>,
    wrap: impl Fn(T::Row) -> T,
) -> AppResult<Option<Resolved<T>>> {
    let Some(row) = row else {
        release(ctx).await;
        return Ok(None);
    };
    let built = match mode(ctx) {
        FastPath::Off => Ok(None),
        _ if !plain(&ctx.item.node, 0) => Ok(None),
        _ => objects::<T>(ctx, &[&row], ctx.field()).await,
    };
    release(ctx).await;
    let built = built?.and_then(Frags::into_single);
    Ok(Some(resolved(ctx, built, || wrap(row))))
}

fn resolved<T>(
    ctx: &Context<'_>,
    built: Option<String>,
    objects: impl FnOnce() -> T,
) -> Resolved<T> {
    match (built, mode(ctx)) {
        (Some(value), FastPath::On) => {
            count(ctx, "built");
            Resolved::Built(Mutex::new(Some(value)))
        }
        (Some(value), _) => Resolved::Checked(Mutex::new(Some(value)), objects()),
        (None, _) => {
            count(ctx, "executor");
            Resolved::Objects(objects())
        }
    }
}

/// The deepest selection this module walks (the depth limit is lower).
const MAX_DEPTH: usize = 32;

/// True when the selection under `field` is fields only: no fragment, no directive.
fn plain(field: &Field, depth: usize) -> bool {
    depth < MAX_DEPTH
        && field.directives.is_empty()
        && field
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(sub) => plain(&sub.node, depth + 1),
                Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
            })
}

/// True when `field` has no arguments (the one-pass answers read none but the Relay ones).
fn without_arguments(field: &SelectionField<'_>) -> bool {
    field
        .arguments()
        .is_ok_and(|arguments| arguments.is_empty())
}

/// A field of a selection: its response key.
fn key<'a>(field: &SelectionField<'a>) -> &'a str {
    field.alias().unwrap_or(field.name())
}

/// The fields selected under `field`, or `None` when a response key is selected twice (the
/// executor merges those).
fn fields<'a>(field: SelectionField<'a>) -> Option<Vec<SelectionField<'a>>> {
    let fields: Vec<_> = field.selection_set().collect();
    for (i, a) in fields.iter().enumerate() {
        if fields[..i].iter().any(|b| key(a) == key(b)) {
            return None;
        }
    }
    Some(fields)
}

/// The objects `rows` with the selection under `field`, or `None` when this module leaves the
/// selection to the executor.
fn objects<'a, T: Subtree>(
    ctx: &'a Context<'a>,
    rows: &'a [&'a T::Row],
    field: SelectionField<'a>,
) -> BoxFuture<'a, AppResult<Option<Frags>>> {
    Box::pin(async move {
        let Some(selected) = fields(field) else {
            return Ok(None);
        };
        let mut few = few_links::<T>(ctx, rows, &selected).await?;
        let mut columns: Vec<Frags> = Vec::with_capacity(selected.len());
        for (i, sub) in selected.iter().enumerate() {
            let values = match sub.name() {
                "__typename" => {
                    let mut values = Frags::with_capacity(rows.len());
                    for _ in rows.iter() {
                        values.push_str(&T::type_name());
                    }
                    values
                }
                name => match T::link(name) {
                    Some(link) => match linked::<T>(ctx, rows, link, *sub, few[i].take()).await? {
                        Some(values) => values,
                        None => return Ok(None),
                    },
                    None => {
                        if !without_arguments(sub) {
                            return Ok(None);
                        }
                        let mut values = Frags::with_capacity(rows.len());
                        for row in rows {
                            match T::leaf(row, name) {
                                Some(leaf) => leaf.write(&mut values),
                                None => return Ok(None),
                            }
                        }
                        values
                    }
                },
            };
            columns.push(values);
        }
        Ok(Some(assemble(&selected, &columns, rows.len())))
    })
}

/// For each of `selected`: when it is a relation over few links ([`Link::Few`]: an object's
/// regions, target groups, themes or tags), the links of `rows` to its rows. All of them are read
/// in one statement, and the rows they point at are taken from the vocabularies kept in memory.
/// Nothing is read when those are not kept.
async fn few_links<T: Subtree>(
    ctx: &Context<'_>,
    rows: &[&T::Row],
    selected: &[SelectionField<'_>],
) -> AppResult<Vec<Option<Vec<(i32, i32)>>>> {
    let mut few = vec![None; selected.len()];
    if !ctx
        .data_opt::<Subtrees>()
        .is_some_and(|subtrees| subtrees.snapshots.serving())
    {
        return Ok(few);
    }
    let mut fields = Vec::new();
    let mut links = Vec::new();
    for (i, sub) in selected.iter().enumerate() {
        if let Some(Linked::List(relation, _)) = T::link(sub.name())
            && let (_, link @ Link::Few(..)) = relation.spec(viewer(ctx))
        {
            fields.push(i);
            links.push(link);
        }
    }
    if links.is_empty() {
        return Ok(few);
    }
    let mut parents: Vec<i32> = rows.iter().map(|row| row.id()).collect();
    parents.sort_unstable();
    parents.dedup();
    let found = crate::db::page::few_links(&reads(ctx), &links, &parents).await?;
    for (i, pairs) in fields.into_iter().zip(found) {
        few[i] = Some(pairs);
    }
    Ok(few)
}

/// Objects from their fields' texts: `columns[f]` holds field `f` of every object.
fn assemble(selected: &[SelectionField<'_>], columns: &[Frags], n: usize) -> Frags {
    let keys: Vec<&str> = selected.iter().map(key).collect();
    raw::objects(&keys, columns, n)
}

/// The values of the relation `link` for each of `rows`.
async fn linked<'a, T: Subtree>(
    ctx: &'a Context<'a>,
    rows: &'a [&'a T::Row],
    link: Linked<T::Row>,
    field: SelectionField<'a>,
    few: Option<Vec<(i32, i32)>>,
) -> AppResult<Option<Frags>> {
    let ids: Vec<i32> = rows.iter().map(|row| row.id()).collect();
    match link {
        Linked::List(relation, kind) => lists(ctx, kind, relation, ids, field, few).await,
        Linked::One(kind, of) => {
            if !without_arguments(&field) {
                return Ok(None);
            }
            let targets: Vec<Option<i32>> = rows.iter().map(|row| of(row)).collect();
            ones(ctx, kind, targets, field).await
        }
        Linked::CareDomains => {
            if !without_arguments(&field) {
                return Ok(None);
            }
            let mut domains =
                crate::directory::organization::care_domains(&reads(ctx), &ids).await?;
            let mut values = Frags::with_capacity(ids.len());
            for id in &ids {
                let list = domains.remove(id).unwrap_or_default();
                values.push_value(&Value::List(
                    list.into_iter()
                        .map(|d| async_graphql::InputType::to_value(&d))
                        .collect(),
                ));
            }
            Ok(Some(values))
        }
    }
}

macro_rules! by_kind {
    ($kind:expr, $f:ident, $($arg:expr),*) => {
        match $kind {
            Kind::Organization => $f::<crate::graphql::organization::Organization>($($arg),*),
            Kind::Post => $f::<crate::graphql::post::Post>($($arg),*),
            Kind::Region => $f::<crate::graphql::region::Region>($($arg),*),
            Kind::TargetGroup => $f::<crate::graphql::vocabulary::TargetGroup>($($arg),*),
            Kind::Theme => $f::<crate::graphql::vocabulary::Theme>($($arg),*),
            Kind::Tag => $f::<crate::graphql::vocabulary::Tag>($($arg),*),
        }
    };
}

fn lists<'a>(
    ctx: &'a Context<'a>,
    kind: Kind,
    relation: Relation,
    parents: Vec<i32>,
    field: SelectionField<'a>,
    few: Option<Vec<(i32, i32)>>,
) -> BoxFuture<'a, AppResult<Option<Frags>>> {
    by_kind!(kind, lists_of, ctx, relation, parents, field, few)
}

fn ones<'a>(
    ctx: &'a Context<'a>,
    kind: Kind,
    targets: Vec<Option<i32>>,
    field: SelectionField<'a>,
) -> BoxFuture<'a, AppResult<Option<Frags>>> {
    by_kind!(kind, ones_of, ctx, targets, field)
}

/// One page of `relation` under each of `parents`, as the connections selected by `field`; over
/// few links, from the parents' links `few` and the rows kept in memory when it can.
fn lists_of<'a, T: Subtree>(
    ctx: &'a Context<'a>,
    relation: Relation,
    parents: Vec<i32>,
    field: SelectionField<'a>,
    few: Option<Vec<(i32, i32)>>,
) -> BoxFuture<'a, AppResult<Option<Frags>>> {
    Box::pin(async move {
        let Some(args) = page_args(&field) else {
            return Ok(None);
        };
        let (listing, link) = relation.spec(viewer(ctx));
        let Ok(mut request) = PageRequest::parse(args, listing.sort.name) else {
            return Ok(None);
        };
        request.lookahead = lookahead(&field);
        let total = field.selection_set().any(|f| f.name() == "totalCount");
        // A row may sit under several parents of this level (a post under each organization it
        // is about): each distinct parent is loaded once.
        let mut uses: IdMap<usize> = IdMap::default();
        for id in &parents {
            *uses.entry(*id).or_default() += 1;
        }
        let distinct: Vec<i32> = uses.keys().copied().collect();
        let kept = match (&few, ctx.data_opt::<Subtrees>()) {
            (Some(links), Some(subtrees)) => subtrees
                .snapshots
                .get::<T::Row>(&reads(ctx), &listing)
                .await?
                .and_then(|snapshot| snapshot.pages(links, &distinct, &request, total)),
            _ => None,
        };
        let mut loaded = match kept {
            Some(pages) => pages,
            None => {
                listing
                    .pages_by_parent_json::<T::Row>(
                        &reads(ctx),
                        link,
                        &distinct,
                        &request,
                        total,
                        &left_out::<T>(&field),
                    )
                    .await?
            }
        };
        let mut pages = Vec::with_capacity(parents.len());
        for id in &parents {
            let left = uses.entry(*id).or_default();
            *left -= 1;
            let page = if *left > 0 {
                loaded.get(id).cloned()
            } else {
                loaded.remove(id)
            };
            pages.push(page.unwrap_or_else(|| Page::empty(total)));
        }
        connections::<T>(ctx, &pages, &listing.sort, field).await
    })
}

/// The objects with ids `targets` (`null` for none, or one the caller may not see).
fn ones_of<'a, T: Subtree>(
    ctx: &'a Context<'a>,
    targets: Vec<Option<i32>>,
    field: SelectionField<'a>,
) -> BoxFuture<'a, AppResult<Option<Frags>>> {
    Box::pin(async move {
        let mut ids: Vec<i32> = targets.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let found: Vec<T::Row> = if ids.is_empty() {
            Vec::new()
        } else {
            crate::directory::visible::by_ids_json::<T::Row>(
                &reads(ctx),
                viewer(ctx),
                ids,
                &left_out::<T>(&field),
            )
            .await?
        };
        let refs: Vec<&T::Row> = found.iter().collect();
        let Some(values) = objects::<T>(ctx, &refs, field).await? else {
            return Ok(None);
        };
        let by_id: IdMap<usize> = found
            .iter()
            .enumerate()
            .map(|(i, row)| (row.id(), i))
            .collect();
        let mut out = Frags::with_capacity(targets.len());
        for id in &targets {
            match id.and_then(|id| by_id.get(&id)) {
                Some(i) => out.push_raw(values.get(*i)),
                None => out.push_raw("null"),
            }
        }
        Ok(Some(out))
    })
}

/// The columns of `T` ([`Subtree::COLUMNS`]) that no field selected anywhere under `field`
/// is made from.
fn left_out<T: Subtree>(field: &SelectionField<'_>) -> Vec<&'static str> {
    // The names of every field under `field`, gathered in one walk.
    fn gather<'a>(field: &SelectionField<'a>, names: &mut Vec<&'a str>, depth: usize) {
        if depth >= MAX_DEPTH {
            return;
        }
        for sub in field.selection_set() {
            names.push(sub.name());
            gather(&sub, names, depth + 1);
        }
    }
    let mut names = Vec::new();
    gather(field, &mut names, 0);
    T::COLUMNS
        .iter()
        .filter(|(_, fields)| fields.is_empty() || !fields.iter().any(|f| names.contains(f)))
        .map(|(column, _)| *column)
        .collect()
}

/// True when the connection `field` shows whether more items follow (`hasNextPage` or
/// `hasPreviousPage`): only then is a row beyond the page read.
fn lookahead(field: &SelectionField<'_>) -> bool {
    field.selection_set().any(|sub| {
        sub.name() == "pageInfo"
            && sub
                .selection_set()
                .any(|info| matches!(info.name(), "hasNextPage" | "hasPreviousPage"))
    })
}

/// The Relay arguments of a connection field, or `None` for any other argument or a value of
/// the wrong type (the executor then answers, with its error).
fn page_args(field: &SelectionField<'_>) -> Option<PageArgs> {
    let mut args = PageArgs::default();
    for (name, value) in field.arguments().ok()? {
        let int = |value: &Value| match value {
            Value::Null => Some(None),
            Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()).map(Some),
            _ => None,
        };
        let text = |value: &Value| match value {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.clone())),
            _ => None,
        };
        match name.as_str() {
            "first" => args.first = int(&value)?,
            "last" => args.last = int(&value)?,
            "after" => args.after = text(&value)?,
            "before" => args.before = text(&value)?,
            _ => return None,
        }
    }
    Some(args)
}

/// The connections `pages` (of `T`, in `sort` order) with the selection under `field`.
async fn connections<'a, T: Subtree>(
    ctx: &'a Context<'a>,
    pages: &[Page<T::Row>],
    sort: &SortKey,
    field: SelectionField<'a>,
) -> AppResult<Option<Frags>> {
    let Some(selected) = fields(field) else {
        return Ok(None);
    };
    let rows: Vec<&T::Row> = pages.iter().flat_map(|page| page.rows.iter()).collect();
    let cursor = |row: &T::Row| sort.cursor(row.key(sort), row.position()).encode();
    let mut columns: Vec<Frags> = Vec::with_capacity(selected.len());
    for sub in &selected {
        let values: Frags = match sub.name() {
            "__typename" => {
                let mut values = Frags::with_capacity(pages.len());
                for _ in pages {
                    values.push_str(&Conn::<T>::type_name());
                }
                values
            }
            "totalCount" => {
                let mut values = Frags::with_capacity(pages.len());
                for page in pages {
                    let total = page.total.unwrap_or(0).min(u32::MAX as u64) as u32;
                    values.push_raw(&total.to_string());
                }
                values
            }
            "nodes" => {
                let Some(nodes) = objects::<T>(ctx, &rows, *sub).await? else {
                    return Ok(None);
                };
                split(pages, &nodes)
            }
            "edges" => {
                let Some(edge_fields) = fields(*sub) else {
                    return Ok(None);
                };
                let mut edge_columns = Vec::with_capacity(edge_fields.len());
                for edge_field in &edge_fields {
                    edge_columns.push(match edge_field.name() {
                        "__typename" => {
                            let name = format!("{}Edge", T::type_name());
                            let mut values = Frags::with_capacity(rows.len());
                            for _ in &rows {
                                values.push_str(&name);
                            }
                            values
                        }
                        "cursor" => {
                            let mut values = Frags::with_capacity(rows.len());
                            for row in &rows {
                                values.push_str(&cursor(row));
                            }
                            values
                        }
                        "node" => match objects::<T>(ctx, &rows, *edge_field).await? {
                            Some(nodes) => nodes,
                            None => return Ok(None),
                        },
                        _ => return Ok(None),
                    });
                }
                split(pages, &assemble(&edge_fields, &edge_columns, rows.len()))
            }
            "pageInfo" => {
                let Some(info_fields) = fields(*sub) else {
                    return Ok(None);
                };
                let mut info_columns = Vec::with_capacity(info_fields.len());
                for info_field in &info_fields {
                    let mut values = Frags::with_capacity(pages.len());
                    for page in pages {
                        let value = match info_field.name() {
                            "__typename" => Value::String("PageInfo".into()),
                            "hasNextPage" => Value::Boolean(page.has_next),
                            "hasPreviousPage" => Value::Boolean(page.has_previous),
                            "startCursor" => page
                                .rows
                                .first()
                                .map_or(Value::Null, |row| Value::String(cursor(row))),
                            "endCursor" => page
                                .rows
                                .last()
                                .map_or(Value::Null, |row| Value::String(cursor(row))),
                            _ => return Ok(None),
                        };
                        values.push_value(&value);
                    }
                    info_columns.push(values);
                }
                assemble(&info_fields, &info_columns, pages.len())
            }
            _ => return Ok(None),
        };
        columns.push(values);
    }
    Ok(Some(assemble(&selected, &columns, pages.len())))
}

/// `values`, one per row of `pages` in order, as one list per page.
fn split<R>(pages: &[Page<R>], values: &Frags) -> Frags {
    raw::lists(values, pages.iter().map(|page| page.rows.len()))
}

/// The value of a plain field, written into an answer's JSON.
pub enum Leaf<'r> {
    /// Text, borrowed from the row.
    Text(&'r str),
    /// `null`.
    Null,
    /// Any other value.
    Value(Value),
}

impl Leaf<'_> {
    /// Adds this value to `frags`.
    fn write(&self, frags: &mut Frags) {
        match self {
            Leaf::Text(text) => frags.push_str(text),
            Leaf::Null => frags.push_raw("null"),
            Leaf::Value(value) => frags.push_value(value),
        }
    }
}

/// A text field's value.
pub fn text(value: &str) -> Leaf<'_> {
    Leaf::Text(value)
}

/// An optional text field's value.
pub fn opt_text(value: Option<&str>) -> Leaf<'_> {
    value.map_or(Leaf::Null, text)
}

/// The value of a field of any input-capable type (scalars, enums, IDs, lists, options), as the
/// executor writes it.
pub fn value<T: async_graphql::InputType>(value: &T) -> Leaf<'static> {
    Leaf::Value(value.to_value())
}
