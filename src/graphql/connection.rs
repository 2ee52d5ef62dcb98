//! Relay connections: every list of the API is a connection with `edges`, `nodes`, `pageInfo`
//! and `totalCount`, paged with `first`/`after` or `last`/`before`. The types are named after
//! their node (`OrganizationConnection`, `OrganizationEdge`).

use std::borrow::Cow;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, OutputType, TypeName};

use crate::db::page::{KeyValue, Page, Row, SortKey};

/// A page of a list of `T`.
pub struct Conn<T> {
    edges: Vec<Edge<T>>,
    has_previous: bool,
    has_next: bool,
    total: u32,
}

/// One item of a page, with what its cursor is made of: the cursor is encoded only when a
/// client selects it (most lists are read as `nodes`, and encoding is most of an item's cost).
pub struct Edge<T> {
    sort: SortKey,
    key: KeyValue,
    id: i64,
    node: T,
}

impl<T> Edge<T> {
    fn encoded_cursor(&self) -> String {
        self.sort.cursor(self.key.clone(), self.id).encode()
    }
}

impl<T: OutputType> TypeName for Conn<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

impl<T: OutputType> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

/// A page of a list, in the list's order: its items (as edges with cursors, or as plain nodes),
/// where it sits in the list, and the size of the whole list.
#[Object(name_type)]
impl<T: OutputType> Conn<T> {
    /// The items of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<T>] {
        &self.edges
    }

    /// The items of this page, without cursors.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Where this page sits in the list, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start_cursor: self.edges.first().map(Edge::encoded_cursor),
            end_cursor: self.edges.last().map(Edge::encoded_cursor),
        }
    }

    /// The number of items in the whole list, over all pages.
    #[graphql(complexity = "TOTAL_COUNT_COST")]
    async fn total_count(&self) -> u32 {
        self.total
    }
}

/// An item of a list with its cursor.
#[Object(name_type)]
impl<T: OutputType> Edge<T> {
    /// The opaque cursor of this item, for `after` or `before`.
    async fn cursor(&self) -> String {
        self.encoded_cursor()
    }

    /// The item.
    async fn node(&self) -> &T {
        &self.node
    }
}

/// What a connection costs for its own database round trip (a statement, or a DataLoader batch).
pub const ROUND_TRIP_COST: usize = 10;

/// What `totalCount` costs: a count reads the whole list, not one page (and, like everything
/// under a connection, it is multiplied by the page size).
pub const TOTAL_COUNT_COST: usize = 10;

/// The cost of a connection field for the complexity limit and the cost budget: its round trip,
/// plus its page size (the default when none is given) times the cost of what is selected under
/// it.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let page = first
        .or(last)
        .unwrap_or(crate::db::page::DEFAULT_PAGE_SIZE)
        .clamp(0, crate::db::page::MAX_PAGE_SIZE);
    ROUND_TRIP_COST + page as usize * child_complexity
}

/// True when the client selected `totalCount` on the connection being resolved, so that the
/// count query runs only when it is wanted.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Builds the connection of a page of rows, wrapping each row in its GraphQL type.
pub fn connection<M: Row, T: OutputType>(
    page: Page<M>,
    sort: &SortKey,
    wrap: impl Fn(M) -> T,
) -> Conn<T> {
    Conn {
        total: page.total.unwrap_or(0).min(u32::MAX as u64) as u32,
        has_previous: page.has_previous,
        has_next: page.has_next,
        edges: page
            .rows
            .into_iter()
            .map(|row| Edge {
                sort: *sort,
                key: row.key(sort),
                id: row.position(),
                node: wrap(row),
            })
            .collect(),
    }
}
