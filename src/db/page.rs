//! Keyset pagination over any table, for top-level lists and for lists nested under many
//! parents at once (one query per batch: a top-N read per parent along an index).
//!
//! Order is always `(sort key, id)`, so it is total and stable; cursors carry those two values,
//! never an offset. The `after`/`before` bounds and the `first`/`last` limits follow the Relay
//! connection specification.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, Func, JoinType, Order, OverStatement, Query,
    SelectStatement, WindowStatement,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, Statement, Value};
use serde::{Deserialize, Serialize};

use crate::db::IdMap;
use crate::db::json_rows::{self, JsonRow};
use crate::db::pg_rows::{self, FromRow};
use crate::error::{AppError, AppResult};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: i32 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

const PARENT: &str = "page_parent";
const PARENTS: &str = "page_parents";
const RANK: &str = "page_rank";
/// The sort key of each row, as a column (the order of the rows read as JSON).
const KEY: &str = "page_key";

/// The value of a sort key, as carried in a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyValue {
    /// A text key (a `sort_name`).
    #[serde(rename = "s")]
    Text(String),
    /// A date key.
    #[serde(rename = "d")]
    Date(NaiveDate),
    /// A timestamp key.
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    /// An integer key (a serial number).
    #[serde(rename = "n")]
    Int(i64),
}

impl From<KeyValue> for Value {
    fn from(value: KeyValue) -> Self {
        match value {
            KeyValue::Text(text) => text.into(),
            KeyValue::Date(date) => date.into(),
            KeyValue::Time(time) => time.into(),
            KeyValue::Int(n) => n.into(),
        }
    }
}

/// A position in an ordered list: the sort key and id of one item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The ordering this cursor belongs to; a cursor is refused under another ordering.
    #[serde(rename = "o")]
    pub order: String,
    /// The sort key of the item.
    #[serde(rename = "k")]
    pub key: KeyValue,
    /// The id of the item (the tie-breaker).
    #[serde(rename = "i")]
    pub id: i64,
}

impl Cursor {
    /// The opaque string handed to clients.
    pub fn encode(&self) -> String {
        // Serializing this plain struct cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str, order: &str, argument: &str) -> AppResult<Self> {
        let invalid =
            || AppError::bad_input(format!("`{argument}` is not a valid cursor for this list"));
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.order != order {
            return Err(invalid());
        }
        Ok(cursor)
    }
}

/// The Relay arguments of a connection field, as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    /// `first`
    pub first: Option<i32>,
    /// `after`
    pub after: Option<String>,
    /// `last`
    pub last: Option<i32>,
    /// `before`
    pub before: Option<String>,
}

impl PageArgs {
    /// The four paging arguments of a connection field, as the client gave them. (async-graphql
    /// cannot share arguments between fields, so each connection field declares the four and
    /// hands them over here.)
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }
}

/// A validated page request: how many items, from where, in which direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    /// Items wanted.
    pub limit: u64,
    /// True for `last`: the page is taken from the end.
    pub backward: bool,
    /// Only items after this one.
    pub after: Option<Cursor>,
    /// Only items before this one.
    pub before: Option<Cursor>,
    /// Whether one item beyond the page is read, to tell whether more follow on the far side
    /// (`hasNextPage`, or `hasPreviousPage` for `last`). A caller that shows neither turns it
    /// off, and the page then reports no more.
    pub lookahead: bool,
}

impl PageRequest {
    /// The items to read: the page, and one beyond it when [`PageRequest::lookahead`].
    pub fn fetch(&self) -> u64 {
        self.limit + u64::from(self.lookahead)
    }

    /// Validates the client's arguments for a list ordered by `order`.
    pub fn parse(args: PageArgs, order: &str) -> AppResult<Self> {
        let check = |name: &str, value: i32| {
            if !(0..=MAX_PAGE_SIZE).contains(&value) {
                return Err(AppError::bad_input(format!(
                    "`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}"
                )));
            }
            Ok(value as u64)
        };
        let (limit, backward) = match (args.first, args.last) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input("give `first` or `last`, not both"));
            }
            (Some(first), None) => (check("first", first)?, false),
            (None, Some(last)) => (check("last", last)?, true),
            (None, None) => (
                DEFAULT_PAGE_SIZE as u64,
                args.before.is_some() && args.after.is_none(),
            ),
        };
        let after = args
            .after
            .as_deref()
            .map(|c| Cursor::decode(c, order, "after"))
            .transpose()?;
        let before = args
            .before
            .as_deref()
            .map(|c| Cursor::decode(c, order, "before"))
            .transpose()?;
        Ok(Self {
            limit,
            backward,
            after,
            before,
            lookahead: true,
        })
    }
}

/// How a list is ordered: by one key column (ascending or descending), then by `id` the same way.
#[derive(Debug, Clone, Copy)]
pub struct SortKey {
    /// The name of the ordering, written into cursors.
    pub name: &'static str,
    /// The table of the key column.
    pub table: &'static str,
    /// The key column.
    pub column: &'static str,
    /// The column's type.
    pub kind: KeyKind,
    /// Newest or largest first.
    pub descending: bool,
}

/// The type of a sort key column.
#[derive(Debug, Clone, Copy)]
pub enum KeyKind {
    /// Text, non-null.
    Text,
    /// A nullable date; nulls sort as if they were this date.
    Date { nulls_as: NaiveDate },
    /// A timestamp, non-null where listed.
    Time,
    /// A nullable timestamp; where it is null, the row's timestamp column named here (non-null)
    /// stands in, in SQL and in cursors alike.
    TimeOr(&'static str),
    /// An integer, non-null (a serial number).
    Int,
}

impl SortKey {
    fn expr(&self) -> Expr {
        let col = Expr::col((Alias::new(self.table), Alias::new(self.column)));
        match self.kind {
            KeyKind::Date { nulls_as } => Func::coalesce([col, Expr::val(nulls_as)]).into(),
            KeyKind::TimeOr(other) => {
                Func::coalesce([col, Expr::col((Alias::new(self.table), Alias::new(other)))]).into()
            }
            KeyKind::Text | KeyKind::Time | KeyKind::Int => col,
        }
    }

    fn id(&self) -> Expr {
        Expr::col((Alias::new(self.table), Alias::new("id")))
    }

    /// The cursor of a row with this sort key value and id.
    pub fn cursor(&self, key: KeyValue, id: i64) -> Cursor {
        Cursor {
            order: self.name.to_owned(),
            key,
            id,
        }
    }

    /// The key value of a nullable date, as this ordering sees it.
    pub fn date_value(&self, date: Option<NaiveDate>) -> KeyValue {
        match (date, self.kind) {
            (Some(date), _) => KeyValue::Date(date),
            (None, KeyKind::Date { nulls_as }) => KeyValue::Date(nulls_as),
            (None, _) => KeyValue::Date(NaiveDate::MAX),
        }
    }

    /// Rows strictly beyond `cursor` in the direction `forward` (in list order), as a row-value
    /// comparison `(key, id) > (k, i)` that both databases turn into one index range.
    fn beyond(
        &self,
        cursor: &Cursor,
        forward: bool,
        (key_expr, id_expr): (Expr, Expr),
    ) -> Condition {
        let ascending = forward != self.descending;
        let key: Value = cursor.key.clone().into();
        let row = Expr::tuple([key_expr, id_expr]);
        let at = Expr::tuple([Expr::val(key), Expr::val(cursor.id)]);
        Condition::all().add(if ascending { row.gt(at) } else { row.lt(at) })
    }

    fn order(&self, backward: bool) -> Order {
        if self.descending != backward {
            Order::Desc
        } else {
            Order::Asc
        }
    }

    fn bounds(&self, page: &PageRequest) -> Condition {
        self.bounds_on(page, (self.expr(), self.id()))
    }

    /// The page's cursor bounds on `columns`, the sort key and id or a copy of them.
    fn bounds_on(&self, page: &PageRequest, columns: (Expr, Expr)) -> Condition {
        let mut cond = Condition::all();
        if let Some(after) = &page.after {
            cond = cond.add(self.beyond(after, true, columns.clone()));
        }
        if let Some(before) = &page.before {
            cond = cond.add(self.beyond(before, false, columns));
        }
        cond
    }
}

/// Rows of `table` (`owner` column in `link`) with a link to any of the rows `ids` selects:
/// `EXISTS (SELECT 1 FROM link WHERE link.owner = table.id AND link.column IN (ids))`.
pub fn linked(
    table: &'static str,
    (link, owner, column): (&str, &str, &str),
    ids: SelectStatement,
) -> Expr {
    let link_col = |c: &str| Expr::col((Alias::new(link), Alias::new(c)));
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(link))
            .and_where(link_col(owner).equals((Alias::new(table), Alias::new("id"))))
            .and_where(link_col(column).in_subquery(ids))
            .to_owned(),
    )
}

/// Rows of `table` that are not (softly) deleted.
pub fn not_deleted(table: &'static str) -> Condition {
    Condition::all().add(Expr::col((Alias::new(table), Alias::new("deleted_at"))).is_null())
}

/// One page of rows, in list order.
#[derive(Debug, Clone)]
pub struct Page<M> {
    /// The rows.
    pub rows: Vec<M>,
    /// There are rows before the first one (known only when paging backward, or after a cursor).
    pub has_previous: bool,
    /// There are rows after the last one (known only when paging forward, or before a cursor).
    pub has_next: bool,
    /// All rows of the list, over all pages, when asked for.
    pub total: Option<u64>,
}

impl<M> Page<M> {
    pub(crate) fn from_overfetch(mut rows: Vec<M>, page: &PageRequest, total: Option<u64>) -> Self {
        let more = rows.len() as u64 > page.limit;
        rows.truncate(page.limit as usize);
        if page.backward {
            rows.reverse();
        }
        // Per the Relay specification, the far side is reported only when it is cheap to know:
        // a cursor on that side implies items exist there.
        let (has_previous, has_next) = if page.backward {
            (more, page.before.is_some())
        } else {
            (page.after.is_some(), more)
        };
        Self {
            rows,
            has_previous,
            has_next,
            total,
        }
    }

    /// An empty page (a parent with no related rows).
    pub fn empty(total: bool) -> Self {
        Self {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
            total: total.then_some(0),
        }
    }
}

/// A list: a table, the rows of it that qualify, and its ordering.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The table listed.
    pub table: &'static str,
    /// Which rows qualify (visibility and the client's filters).
    pub filter: Condition,
    /// The ordering.
    pub sort: SortKey,
}

/// How rows of a listed table hang under a parent.
#[derive(Debug, Clone, Copy)]
pub enum Link {
    /// The listed table has a column holding the parent's id.
    Column(&'static str),
    /// A link table `(table, parent column, child column)`.
    Table(&'static str, &'static str, &'static str),
    /// A link table `(table, parent column, child column)` with few rows per parent: the
    /// vocabulary one object is filed under (some of a bounded list of regions, target groups,
    /// themes or tags). Read as rows, the pages of all parents are one join cut per parent by
    /// rank, which costs the links themselves: on PostgreSQL a `LATERAL` subquery per parent
    /// joined the whole vocabulary for each parent (three times the time at 50 parents); read as
    /// JSON on SQLite, a correlated subquery per parent reads its links along the link table's
    /// key.
    Few(&'static str, &'static str, &'static str),
    /// The listed table's own id is the parent (a to-one relation seen from the child).
    SelfId,
    /// A link table `(table, parent column, child column, key column)` that also carries a copy
    /// of the sort key of the rows every caller may see (NULL for the others; database triggers
    /// keep it), so that a page is read in order from its index `(parent, key, child)`.
    Sorted(&'static str, &'static str, &'static str, &'static str),
}

impl Link {
    fn parent_expr(&self, table: &'static str) -> Expr {
        match *self {
            Link::Column(column) => Expr::col((Alias::new(table), Alias::new(column))),
            Link::Table(link, parent, _)
            | Link::Few(link, parent, _)
            | Link::Sorted(link, parent, _, _) => Expr::col((Alias::new(link), Alias::new(parent))),
            Link::SelfId => Expr::col((Alias::new(table), Alias::new("id"))),
        }
    }

    fn join(&self, table: &'static str, select: &mut SelectStatement) {
        if let Link::Table(link, _, child)
        | Link::Few(link, _, child)
        | Link::Sorted(link, _, child, _) = *self
        {
            select.inner_join(
                Alias::new(link),
                Expr::col((Alias::new(link), Alias::new(child)))
                    .equals((Alias::new(table), Alias::new("id"))),
            );
        }
    }
}

impl Listing {
    /// One page of the list, with the total count when `with_total`.
    pub async fn page<M: FromRow>(
        &self,
        db: &impl ConnectionTrait,
        page: &PageRequest,
        with_total: bool,
    ) -> AppResult<Page<M>> {
        self.page_of(db, page, with_total, None).await
    }

    /// [`Listing::page`], reading `columns` (all when `None`).
    async fn page_of<M: FromRow>(
        &self,
        db: &impl ConnectionTrait,
        page: &PageRequest,
        with_total: bool,
        columns: Option<&Columns>,
    ) -> AppResult<Page<M>> {
        let rows = pg_rows::decode(
            &db.query_all(
                &self
                    .unlimited_page_select(page, columns)
                    .limit(page.fetch())
                    .to_owned(),
            )
            .await?,
        )?;
        let total = if with_total {
            Some(self.count(db).await?)
        } else {
            None
        };
        Ok(Page::from_overfetch(rows, page, total))
    }

    /// [`Listing::page`], with the rows read as one JSON value (see [`crate::db::json_rows`]),
    /// without the columns in `left_out`. PostgreSQL reads rows, with the text and nullable
    /// columns of `left_out` as empty ([`columns`]).
    pub async fn page_json<M: Row + JsonRow>(
        &self,
        db: &impl ConnectionTrait,
        page: &PageRequest,
        with_total: bool,
        left_out: &[&str],
    ) -> AppResult<Page<M>> {
        if db.get_database_backend() == DbBackend::Postgres {
            let columns = columns::<M>(self.table, left_out);
            return self.page_of(db, page, with_total, columns.as_ref()).await;
        }
        let order = self.sort.order(page.backward);
        let rows = json_rows::rows(
            db,
            &self.unlimited_page_select(page, None),
            Some(page.fetch()),
            &[(KEY, order.clone()), ("id", order)],
            left_out,
        )
        .await?;
        let total = if with_total {
            Some(self.count(db).await?)
        } else {
            None
        };
        Ok(Page::from_overfetch(rows, page, total))
    }

    fn page_select(&self, page: &PageRequest) -> SelectStatement {
        self.unlimited_page_select(page, None)
            .limit(page.fetch())
            .to_owned()
    }

    /// [`Listing::page_select`] without its `LIMIT`, reading `columns` (all when `None`).
    fn unlimited_page_select(
        &self,
        page: &PageRequest,
        columns: Option<&Columns>,
    ) -> SelectStatement {
        let mut select = Query::select();
        select_columns(&mut select, self.table, columns);
        select
            .expr_as(self.sort.expr(), Alias::new(KEY))
            .from(Alias::new(self.table))
            .cond_where(self.filter.clone().add(self.sort.bounds(page)))
            .order_by_expr(self.sort.expr(), self.sort.order(page.backward))
            .order_by_expr(self.sort.id(), self.sort.order(page.backward))
            .to_owned()
    }

    /// The first `most` rows of the list, in list order, and whether there are more.
    pub async fn first_rows<M: FromRow>(
        &self,
        db: &impl ConnectionTrait,
        most: u64,
    ) -> AppResult<(Vec<M>, bool)> {
        let page = PageRequest {
            limit: most,
            backward: false,
            after: None,
            before: None,
            lookahead: true,
        };
        let page: Page<M> = self.page(db, &page, false).await?;
        Ok((page.rows, page.has_next))
    }

    /// The statement of [`Listing::page`] (tests check its plan).
    pub fn page_statement(&self, backend: DbBackend, page: &PageRequest) -> Statement {
        backend.build(&self.page_select(page))
    }

    /// The number of rows in the list.
    pub async fn count(&self, db: &impl ConnectionTrait) -> AppResult<u64> {
        let mut select = Query::select();
        select
            .expr_as(
                Expr::col((Alias::new(self.table), Alias::new("id"))).count(),
                Alias::new("n"),
            )
            .from(Alias::new(self.table))
            .cond_where(self.filter.clone());
        let row = db.query_one(&select).await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(n as u64)
    }

    /// One page per parent, in one query (plus one for the totals when `with_total`).
    ///
    /// Each parent's page is a top-N read along an index, so a page costs about N rows
    /// whatever the size of the table: on PostgreSQL a `LATERAL` subquery per parent; on SQLite,
    /// which has no `LATERAL`, the same subquery as `id IN (… LIMIT n)`, which it runs once per
    /// parent and answers with rowid lookups. The parent ids are one bound JSON array, so the
    /// statement text is the same for every batch size and stays in the statement cache.
    pub async fn pages_by_parent<M: FromRow>(
        &self,
        db: &impl ConnectionTrait,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
        with_total: bool,
    ) -> AppResult<IdMap<Page<M>>> {
        self.pages_by_parent_of(db, link, parents, page, with_total, None)
            .await
    }

    /// [`Listing::pages_by_parent`], reading `columns` (all when `None`).
    async fn pages_by_parent_of<M: FromRow>(
        &self,
        db: &impl ConnectionTrait,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
        with_total: bool,
        columns: Option<&Columns>,
    ) -> AppResult<IdMap<Page<M>>> {
        if parents.is_empty() {
            return Ok(IdMap::default());
        }
        let select = self.pages_select(db.get_database_backend(), link, parents, page, columns)?;
        let found = db.query_all(&select).await?;
        let decode = pg_rows::decoder::<M>(&found);
        let mut rows = Vec::with_capacity(found.len());
        for row in &found {
            rows.push((row.try_get("", PARENT)?, decode(row)?));
        }
        self.per_parent(db, link, parents, page, with_total, rows)
            .await
    }

    /// [`Listing::pages_by_parent`], with the rows read as one JSON value (see
    /// [`crate::db::json_rows`]) and the columns in `left_out` not read.
    ///
    /// On SQLite each parent's page is a correlated subquery, `(SELECT … WHERE parent = p
    /// ORDER BY key, id LIMIT n)`, which it answers by walking the index of the link (or of the
    /// parent column) from the parent's first row and stops after `n`: no temporary table per
    /// parent, no ranking of every link. On PostgreSQL, rows as [`Listing::pages_by_parent`]
    /// reads them, with the text and nullable columns of `left_out` as empty ([`columns`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn pages_by_parent_json<M: JsonRow + FromRow>(
        &self,
        db: &impl ConnectionTrait,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
        with_total: bool,
        left_out: &[&str],
    ) -> AppResult<IdMap<Page<M>>> {
        if db.get_database_backend() == DbBackend::Postgres {
            let columns = columns::<M>(self.table, left_out);
            return self
                .pages_by_parent_of(db, link, parents, page, with_total, columns.as_ref())
                .await;
        }
        if parents.is_empty() {
            return Ok(IdMap::default());
        }
        let statement = self.pages_json_statement::<M>(link, parents, page, left_out)?;
        let rows = json_rows::nested::<M>(db, statement)
            .await?
            .into_iter()
            .flat_map(|(parent, rows)| rows.into_iter().map(move |row| (parent, row)))
            .collect();
        self.per_parent(db, link, parents, page, with_total, rows)
            .await
    }

    /// The SQLite statement of [`Listing::pages_by_parent_json`] (tests check its plan).
    pub fn pages_json_statement<M: JsonRow>(
        &self,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
        left_out: &[&str],
    ) -> AppResult<Statement> {
        let parent_id = Expr::col((Alias::new(PARENTS), Alias::new("value"))).cast_as("integer");
        let (filter, key, id) = self.parent_filter(link, parent_id, page);
        let order = self.sort.order(page.backward);
        let mut inner = Query::select();
        inner
            .column((Alias::new(self.table), Asterisk))
            .expr_as(self.sort.expr(), Alias::new(KEY));
        match link {
            // The parent's few links first, then their rows; or the parent's links in page order
            // along the link table's index (its copy of the sort key).
            Link::Few(link, _, child) | Link::Sorted(link, _, child, _) => {
                inner
                    .from(Alias::new(link))
                    .join(
                        JoinType::CrossJoin,
                        Alias::new(self.table),
                        Condition::all(),
                    )
                    .and_where(
                        Expr::col((Alias::new(link), Alias::new(child)))
                            .equals((Alias::new(self.table), Alias::new("id"))),
                    );
            }
            // Many links per parent, in the rows' order: the planner picks the order of the
            // join (along the rows' sort index, or along the links).
            Link::Table(..) | Link::Column(_) | Link::SelfId => {
                inner.from(Alias::new(self.table));
                link.join(self.table, &mut inner);
            }
        }
        inner
            .cond_where(filter)
            .order_by_expr(key, order.clone())
            .order_by_expr(id, order.clone());
        Ok(json_rows::nested_statement::<M>(
            &inner,
            page.fetch(),
            (
                PARENTS,
                &serde_json::to_string(parents).map_err(AppError::internal)?,
            ),
            &[(KEY, order.clone()), ("id", order)],
            left_out,
        ))
    }

    /// The pages of `parents` from their rows, in list order (with the totals when asked).
    async fn per_parent<M>(
        &self,
        db: &impl ConnectionTrait,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
        with_total: bool,
        rows: Vec<(i32, M)>,
    ) -> AppResult<IdMap<Page<M>>> {
        let mut grouped: IdMap<Vec<M>> = IdMap::default();
        for (parent, row) in rows {
            grouped.entry(parent).or_default().push(row);
        }
        let mut totals = if with_total {
            self.count_by_parent(db, link, parents).await?
        } else {
            HashMap::new()
        };
        Ok(parents
            .iter()
            .map(|id| {
                let rows = grouped.remove(id).unwrap_or_default();
                let total = with_total.then(|| totals.remove(id).unwrap_or(0));
                (*id, Page::from_overfetch(rows, page, total))
            })
            .collect())
    }

    fn pages_select(
        &self,
        backend: DbBackend,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
        columns: Option<&Columns>,
    ) -> AppResult<SelectStatement> {
        let postgres = backend == DbBackend::Postgres;
        let parent_ids = serde_json::to_string(parents).map_err(AppError::internal)?;
        let each = if postgres {
            Func::cust("jsonb_array_elements_text").arg(Expr::val(parent_ids).cast_as("jsonb"))
        } else {
            Func::cust("json_each").arg(Expr::val(parent_ids))
        };
        let parent_id = Expr::col((Alias::new(PARENTS), Alias::new("value"))).cast_as("integer");
        let order = self.sort.order(page.backward);
        let (filter, key, id) = self.parent_filter(link, parent_id.clone(), page);
        if let Link::Few(link_table, _, child) = link {
            return Ok(self.few_select(
                (link_table, link.parent_expr(self.table), child),
                (each, parent_id, postgres),
                filter,
                page,
            ));
        }
        let mut inner = Query::select();
        inner.from(Alias::new(self.table));
        link.join(self.table, &mut inner);
        inner
            .cond_where(filter)
            .order_by_expr(key, order.clone())
            .order_by_expr(id, order.clone())
            .limit(page.fetch());
        let mut outer = Query::select();
        outer.expr_as(parent_id, Alias::new(PARENT));
        select_columns(&mut outer, self.table, columns);
        outer
            .expr_as(self.sort.expr(), Alias::new(KEY))
            .from_function(each, Alias::new(PARENTS));
        if postgres {
            inner.column((Alias::new(self.table), Asterisk));
            outer.join_lateral(
                JoinType::InnerJoin,
                inner,
                Alias::new(self.table),
                Expr::cust("TRUE"),
            );
        } else {
            // `CROSS JOIN` is SQLite's way to fix the join order: the parents first, then the
            // rows of each. Left to itself, SQLite may loop over a small table (the themes) and
            // run the subquery for every theme and parent.
            inner.column((Alias::new(self.table), Alias::new("id")));
            outer
                .join(
                    JoinType::CrossJoin,
                    Alias::new(self.table),
                    Condition::all(),
                )
                .and_where(self.sort.id().in_subquery(inner));
        }
        outer
            .order_by(Alias::new(PARENT), Order::Asc)
            .order_by_expr(self.sort.expr(), order.clone())
            .order_by_expr(self.sort.id(), order);
        Ok(outer)
    }

    /// The rows of one parent's page (the parent's id is `parent_id`): the listing's filter,
    /// the link to the parent and the page's bounds; with the key and id the page is ordered by
    /// (a [`Link::Sorted`] link's copies of them).
    fn parent_filter(
        &self,
        link: Link,
        parent_id: Expr,
        page: &PageRequest,
    ) -> (Condition, Expr, Expr) {
        let mut filter = self
            .filter
            .clone()
            .add(link.parent_expr(self.table).eq(parent_id));
        let (key, id) = match link {
            Link::Sorted(table, _, child, key) => {
                let key = Expr::col((Alias::new(table), Alias::new(key)));
                filter = filter.add(key.clone().is_not_null());
                (key, Expr::col((Alias::new(table), Alias::new(child))))
            }
            _ => (self.sort.expr(), self.sort.id()),
        };
        let filter = filter.add(self.sort.bounds_on(page, (key.clone(), id.clone())));
        (filter, key, id)
    }

    /// The pages per parent over a [`Link::Few`], read as rows: every link of the parents,
    /// ranked per parent, the first `limit + 1` of each kept.
    fn few_select(
        &self,
        (link, link_parent, child): (&'static str, Expr, &'static str),
        (each, parent_id, postgres): (sea_orm::sea_query::FunctionCall, Expr, bool),
        filter: Condition,
        page: &PageRequest,
    ) -> SelectStatement {
        let order = self.sort.order(page.backward);
        let mut window = WindowStatement::new();
        window
            .add_partition_by(parent_id.clone())
            .order_by_expr(self.sort.expr(), order.clone())
            .order_by_expr(self.sort.id(), order.clone());
        let mut ranked = Query::select();
        ranked
            .expr_as(parent_id.clone(), Alias::new(PARENT))
            .column((Alias::new(self.table), Asterisk))
            .expr_as(self.sort.expr(), Alias::new(KEY))
            .expr_window_as(Func::cust("ROW_NUMBER"), window, Alias::new(RANK))
            .from_function(each, Alias::new(PARENTS));
        // The parents first, then their links (along the link table's key), then the linked
        // rows. SQLite keeps the order of a `CROSS JOIN`; PostgreSQL reorders joins freely, and
        // with a plan for any number of parents it may hash every link of the table, so there
        // the links are a `LATERAL` subquery of each parent.
        if postgres {
            ranked.join_lateral(
                JoinType::InnerJoin,
                Query::select()
                    .column(Asterisk)
                    .from(Alias::new(link))
                    .and_where(link_parent.eq(parent_id))
                    // An `OFFSET` keeps PostgreSQL from merging the subquery into the join
                    // (which would let it reorder the join again).
                    .offset(0)
                    .to_owned(),
                Alias::new(link),
                Expr::cust("TRUE"),
            );
        } else {
            ranked.join(JoinType::CrossJoin, Alias::new(link), Condition::all());
        }
        ranked
            .join(
                JoinType::CrossJoin,
                Alias::new(self.table),
                Condition::all(),
            )
            .cond_where(
                filter.add(
                    Expr::col((Alias::new(link), Alias::new(child)))
                        .equals((Alias::new(self.table), Alias::new("id"))),
                ),
            );
        Query::select()
            .column(Asterisk)
            .from_subquery(ranked, Alias::new(self.table))
            .and_where(Expr::col(Alias::new(RANK)).lte(page.fetch()))
            .order_by(Alias::new(PARENT), Order::Asc)
            .order_by_expr(self.sort.expr(), order.clone())
            .order_by_expr(self.sort.id(), order)
            .to_owned()
    }

    /// The statement of [`Listing::pages_by_parent`] (tests check its plan).
    pub fn pages_statement(
        &self,
        backend: DbBackend,
        link: Link,
        parents: &[i32],
        page: &PageRequest,
    ) -> Statement {
        let select = self
            .pages_select(backend, link, parents, page, None)
            .unwrap_or_else(|_| Query::select());
        backend.build(&select)
    }

    async fn count_by_parent(
        &self,
        db: &impl ConnectionTrait,
        link: Link,
        parents: &[i32],
    ) -> AppResult<HashMap<i32, u64>> {
        let parent = link.parent_expr(self.table);
        let mut select = Query::select();
        select
            .expr_as(parent.clone(), Alias::new(PARENT))
            .expr_as(
                Expr::col((Alias::new(self.table), Alias::new("id"))).count(),
                Alias::new("n"),
            )
            .from(Alias::new(self.table));
        link.join(self.table, &mut select);
        select
            .cond_where(
                self.filter
                    .clone()
                    .add(parent.clone().is_in(parents.iter().copied())),
            )
            .add_group_by([parent]);
        let mut totals = HashMap::new();
        for row in db.query_all(&select).await? {
            let parent: i32 = row.try_get("", PARENT)?;
            let n: i64 = row.try_get("", "n")?;
            totals.insert(parent, n as u64);
        }
        Ok(totals)
    }
}

/// The links of `parents` over each of `links` (each a [`Link::Few`]), as (parent, child) pairs
/// in no particular order: one statement for all of them, each link table read along its key.
/// The parent ids are one bound JSON array, so the statement text depends only on the links. The
/// links come as one JSON value (`[[[parent], [child, …] per link], …]`), not as a row per link:
/// a directory page's few hundred links are then one value to decode, not a row each.
pub async fn few_links(
    db: &impl ConnectionTrait,
    links: &[Link],
    parents: &[i32],
) -> AppResult<Vec<Vec<(i32, i32)>>> {
    let mut found = vec![Vec::new(); links.len()];
    let backend = db.get_database_backend();
    let Some(statement) = few_links_statement(backend, links, parents)? else {
        return Ok(found);
    };
    for lists in json_rows::links(db, statement).await? {
        let mut lists = lists.into_iter();
        let Some(&parent) = lists.next().as_deref().and_then(|p| p.first()) else {
            continue;
        };
        for (pairs, children) in found.iter_mut().zip(lists) {
            pairs.extend(children.into_iter().map(|child| (parent, child)));
        }
    }
    Ok(found)
}

/// The statement of [`few_links`] (tests check its plan); `None` when there is nothing to read.
pub fn few_links_statement(
    backend: DbBackend,
    links: &[Link],
    parents: &[i32],
) -> AppResult<Option<Statement>> {
    if parents.is_empty() || links.is_empty() {
        return Ok(None);
    }
    let parent_ids = serde_json::to_string(parents).map_err(AppError::internal)?;
    let mut tables = Vec::with_capacity(links.len());
    for link in links {
        let Link::Few(table, parent, child) = *link else {
            return Err(AppError::internal("few_links reads Link::Few links only"));
        };
        tables.push((table, parent, child));
    }
    Ok(Some(json_rows::links_statement(
        backend,
        &tables,
        (PARENTS, &parent_ids),
    )))
}

/// The columns a statement reads of a table, each as an expression and the column's name.
pub type Columns = Vec<(Expr, &'static str)>;

/// The columns of `M`'s table to read as rows when the columns in `left_out` are not needed:
/// every column but those of them that [`crate::db::pg_rows`] fills in when a statement does
/// not read them (the nullable ones as `NULL`; the non-null text, integer and timestamp ones as
/// `''`, `0` and the epoch: what the model holds for a column read as JSON without it,
/// `#[serde(default)]`); `None` when that leaves every column. A directory page then reads no
/// post bodies, descriptions, slugs or edit times it does not show.
pub fn columns<M: JsonRow>(table: &'static str, left_out: &[&str]) -> Option<Columns> {
    let mut narrowed = false;
    let columns = <M::Entity as EntityTrait>::Column::iter()
        .filter_map(|column| {
            let name = sea_orm::IdenStatic::as_str(&column);
            if left_out.contains(&name) && crate::db::pg_rows::unread(&column.def()).is_some() {
                narrowed = true;
                return None;
            }
            Some((Expr::col((Alias::new(table), Alias::new(name))), name))
        })
        .collect();
    narrowed.then_some(columns)
}

/// Adds `columns` of `table` to `select` (all of them when `None`).
pub fn select_columns(
    select: &mut SelectStatement,
    table: &'static str,
    columns: Option<&Columns>,
) {
    match columns {
        None => {
            select.column((Alias::new(table), Asterisk));
        }
        Some(columns) => {
            for (expr, name) in columns {
                select.expr_as(expr.clone(), Alias::new(*name));
            }
        }
    }
}

/// A stored row that the API lists and fetches by id.
pub trait Row: FromRow + Clone + Send + Sync + 'static {
    /// The table.
    const TABLE: &'static str;
    /// The row's id.
    fn id(&self) -> i32;
    /// The row's place among rows of equal sort key, written into cursors: its id (wider for
    /// tables whose ids are 64-bit).
    fn position(&self) -> i64 {
        i64::from(self.id())
    }
    /// The row's value of a sort key of its table.
    fn key(&self, sort: &SortKey) -> KeyValue;
    /// Which rows exist for the API (not deleted).
    fn visible() -> Condition;
}
