//! The GraphQL schema: the root query assembled from the domains, and the shared helpers that
//! resolvers use to reach the database.

pub mod access;
pub mod connection;
pub mod cost;
pub mod event;
pub mod feed;
pub mod field_errors;
pub mod loader;
pub mod node;
pub mod organization;
pub mod partner;
pub mod payload;
pub mod post;
pub mod raw;
pub mod region;
pub mod response_order;
pub mod search;
pub mod subtree;
pub mod vocabulary;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::db::held::{Held, Reads};
use crate::db::page::{Listing, Page, PageArgs, PageRequest, Row};
use crate::directory::visible::Visible;
use crate::error::AppResult;
use crate::graphql::connection::wants_total;

/// The root query type: everything that can be read.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    node::NodeQuery,
    organization::OrganizationQuery,
    region::RegionQuery,
    vocabulary::VocabularyQuery,
    partner::PartnerQuery,
    post::PostQuery,
    access::AccessQuery,
    event::EventQuery,
    feed::FeedQuery,
    search::SearchQuery,
);

/// The root mutation type: every change, each taking one `input` and returning a payload with
/// the changed object and `userErrors`.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    organization::mutation::OrganizationMutation,
    post::mutation::PostMutation,
    partner::mutation::PartnerMutation,
    vocabulary::mutation::VocabularyMutation,
    region::mutation::RegionMutation,
    access::AccessMutation,
    event::mutation::EventMutation,
);

/// The root subscription type: the live changes.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(feed::FeedSubscription);

/// The schema type.
pub type DirectorySchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The limits the schema enforces.
#[derive(Debug, Clone)]
pub struct SchemaLimits {
    /// Deepest nesting.
    pub depth: usize,
    /// Highest cost (complexity).
    pub complexity: usize,
    /// Most directives per field.
    pub directives: usize,
    /// Introspection allowed.
    pub introspection: bool,
}

/// The schemas the server runs: one with the limits for every request, and one for requests
/// that only introspect (what GraphiQL and code generators send), which the depth and cost
/// limits would otherwise refuse. The latter is absent when introspection is off.
#[derive(Clone)]
pub struct Schemas {
    /// For every request that does more than introspect.
    pub main: DirectorySchema,
    /// For introspection-only requests.
    pub introspection: Option<DirectorySchema>,
}

fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
}

/// The cost limit of an introspection-only request: a few times what the standard
/// introspection query costs, so that aliases cannot multiply the work.
pub const INTROSPECTION_MAX_COST: usize = 500;

/// Builds the schemas; the database connection is available to every resolver.
pub fn build_schemas(
    db: DatabaseConnection,
    limits: &SchemaLimits,
    costs: std::sync::Arc<crate::limits::Limits>,
    email_hash_key: crate::privacy::EmailHashKey,
    subtrees: subtree::Subtrees,
) -> Schemas {
    let mut main = builder()
        .data(db.clone())
        .data(email_hash_key)
        .data(subtrees)
        .limit_directives(limits.directives)
        // Depth and cost are checked by the cost extension, which says by how much.
        .extension(cost::CostBudgetFactory {
            limits: costs.clone(),
            max_depth: limits.depth,
            max_cost: limits.complexity,
        })
        .extension(field_errors::NullOnErrorFactory);
    if !limits.introspection {
        main = main.disable_introspection().disable_suggestions();
    }
    let introspection = limits.introspection.then(|| {
        // Generous fixed bounds still stop abusive recursion through `ofType`.
        builder()
            .data(db)
            .introspection_only()
            // Charged like every request, with limits of their own: the standard query nests
            // deeper than other queries may, and a few times its cost is plenty.
            .extension(cost::CostBudgetFactory {
                limits: costs.clone(),
                max_depth: 20,
                max_cost: INTROSPECTION_MAX_COST,
            })
            .extension(field_errors::NullOnErrorFactory)
            .finish()
    });
    Schemas {
        main: main.finish(),
        introspection,
    }
}

/// The schema in SDL, as written to `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The database connection of the request.
pub fn db<'a>(ctx: &'a Context<'_>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// Where the one-pass answers read: the request's held connection ([`Held`]), or the pool.
pub fn reads<'a>(ctx: &'a Context<'_>) -> Reads<'a> {
    match ctx.data_opt::<Held>() {
        Some(held) => Reads::Held(held),
        None => Reads::Pool(db(ctx)),
    }
}

/// Lets the request's held connection go (before the executor reads through the pool).
pub async fn release(ctx: &Context<'_>) {
    if let Some(held) = ctx.data_opt::<Held>() {
        held.release().await;
    }
}

/// The key of the e-mail address hashes.
pub fn email_hash_key<'a>(ctx: &'a Context<'_>) -> &'a crate::privacy::EmailHashKey {
    ctx.data_unchecked::<crate::privacy::EmailHashKey>()
}

/// The caller of the request.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

/// One page of a top-level list, with the total when the client selected `totalCount`.
pub async fn list<M: Row>(
    ctx: &Context<'_>,
    listing: &Listing,
    args: PageArgs,
) -> AppResult<Page<M>> {
    let page = PageRequest::parse(args, listing.sort.name)?;
    listing.page(db(ctx), &page, wants_total(ctx)).await
}

/// The visible row of `M`'s table with this slug.
pub async fn find_by_slug<M: Visible>(ctx: &Context<'_>, slug: &str) -> AppResult<Option<M>> {
    crate::directory::visible::by_slug(db(ctx), viewer(ctx), slug).await
}
