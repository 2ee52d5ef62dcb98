//! Data access for posts. The public sees published posts only.

pub mod write;

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait};

use crate::auth::{Viewer, policy};
use crate::db::page::Row;
use crate::db::page::{KeyKind, KeyValue, Listing, SortKey, not_deleted};
use crate::directory::organization::ids_of_slugs;
use crate::directory::visible::Visible;
use crate::entity::post;
use crate::vocab::{PostKind, PostStatus};

const TABLE: &str = "post";

/// Newest first: by publication time, for lists of published posts (which all have one).
pub const NEWEST: SortKey = SortKey {
    name: "newest",
    table: TABLE,
    column: "published_at",
    kind: KeyKind::Time,
    descending: true,
};

/// Newest first, for lists that may hold posts not (yet) published: by publication time, or
/// else by submission time. Published posts get the same key as under [`NEWEST`], so one
/// ordering and one cursor form serve both, on both databases.
pub const NEWEST_SUBMITTED: SortKey = SortKey {
    kind: KeyKind::TimeOr("created_at"),
    ..NEWEST
};

fn col(column: &str) -> Expr {
    Expr::col((Alias::new(TABLE), Alias::new(column)))
}

impl Row for post::Model {
    const TABLE: &'static str = TABLE;

    fn id(&self) -> i32 {
        self.id
    }

    fn key(&self, _sort: &SortKey) -> KeyValue {
        // [`NEWEST`] lists published posts only, which have a publication time; both orderings
        // see this value.
        KeyValue::Time(self.published_at.unwrap_or(self.created_at))
    }

    fn visible() -> Condition {
        not_deleted(TABLE)
    }
}

impl Visible for post::Model {
    fn visible_to(viewer: &Viewer) -> Condition {
        not_deleted(TABLE).add(policy::visible_posts(viewer))
    }
}

/// What a client may filter posts on. Within one field any value matches; all fields given must
/// match.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Theme slugs.
    pub themes: Option<Vec<String>>,
    /// Tag slugs.
    pub tags: Option<Vec<String>>,
    /// Kinds.
    pub kinds: Option<Vec<PostKind>>,
    /// Organization slugs: posts by or about any of them.
    pub organizations: Option<Vec<String>>,
    /// Statuses; published only when not given.
    pub statuses: Option<Vec<PostStatus>>,
}

/// Posts linked (in `link`, by `column`) to any of the `table` rows with these slugs.
fn linked(link: &str, column: &str, table: &str, slugs: &[String]) -> Expr {
    crate::db::page::linked(TABLE, (link, "post_id", column), ids_of_slugs(table, slugs))
}

impl Filter {
    /// The SQL condition of this filter.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(slugs) = &self.themes {
            cond = cond.add(linked("post_theme", "theme_id", "theme", slugs));
        }
        if let Some(slugs) = &self.tags {
            cond = cond.add(linked("post_tag", "tag_id", "tag", slugs));
        }
        if let Some(kinds) = &self.kinds {
            let values: Vec<String> = kinds.iter().map(sea_orm::ActiveEnum::to_value).collect();
            cond = cond.add(col("kind").is_in(values));
        }
        if let Some(slugs) = &self.organizations {
            cond = cond.add(linked(
                "post_organization",
                "organization_id",
                "organization",
                slugs,
            ));
        }
        let statuses = self
            .statuses
            .clone()
            .unwrap_or_else(|| vec![PostStatus::Published]);
        // In the statement's text, not bound (see `policy::visible_posts`).
        let values = statuses
            .iter()
            .map(|status| Expr::Constant(sea_orm::ActiveEnum::to_value(status).into()));
        cond.add(col("status").is_in(values))
    }
}

/// The posts `viewer` may see that match `filter`, newest first.
pub fn listing(viewer: &Viewer, filter: &Filter) -> Listing {
    let published_only = filter
        .statuses
        .as_ref()
        .is_none_or(|statuses| statuses.iter().all(|s| *s == PostStatus::Published));
    Listing {
        table: TABLE,
        filter: post::Model::visible_to(viewer).add(filter.condition()),
        sort: if published_only {
            NEWEST
        } else {
            NEWEST_SUBMITTED
        },
    }
}
