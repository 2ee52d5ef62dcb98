//! DataLoaders: every relation is loaded for a whole batch of parents in one query, so the number
//! of SQL statements of a request does not grow with the number of objects it returns.
//!
//! One [`DbLoader`] serves all key types; a new one is made for each request, so its cache never
//! outlives the request.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::db::page::{Page, PageArgs, PageRequest, Row, SortKey};
pub use crate::directory::relation::Relation;
use crate::directory::visible::Visible;
use crate::error::{AppError, AppResult};
use crate::vocab::CareDomain;

/// Loads rows and relations for one request, as seen by its viewer.
pub struct DbLoader {
    db: DatabaseConnection,
    viewer: Viewer,
}

impl DbLoader {
    /// A loader for one request, and the queue its loads wait in until the request runs them
    /// (see [`run_batched`]).
    pub fn for_request(db: DatabaseConnection, viewer: Viewer) -> (DataLoader<Self>, LoadQueue) {
        let queue = LoadQueue::default();
        let starts = queue.clone();
        let loader = DataLoader::new(Self { db, viewer }, move |load| starts.push(load))
            .delay(Duration::ZERO);
        (loader, queue)
    }
}

/// The loads a request's DataLoader has started and that the request has not yet run.
#[derive(Clone, Default)]
pub struct LoadQueue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl LoadQueue {
    fn push(&self, load: BoxFuture<'static, ()>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(load);
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Runs a request's execution together with the loads its DataLoader starts.
///
/// A load never starts in the middle of the request's work: the request is polled until it
/// waits, and only then are the loads it asked for run, each taking every key registered so far.
/// So all the objects of one level of the answer share one statement per relation, however busy
/// the machine is. (A batch window measured in time splits batches under load: async-graphql
/// resolves a list in a `FuturesUnordered`, which yields to the scheduler after every two
/// objects, and a busy scheduler comes back after the window has closed.) A request that only
/// yields is polled again at once, up to [`MAX_REPOLLS`] times in a row. Dropping the request
/// drops its loads.
pub fn run_batched<F: Future>(queue: LoadQueue, execution: F) -> impl Future<Output = F::Output> {
    let mut execution = Box::pin(execution);
    let mut running = FuturesUnordered::new();
    std::future::poll_fn(move |cx| {
        let yielded = Arc::new(YieldFlag {
            woken: AtomicBool::new(false),
            task: cx.waker().clone(),
        });
        let waker = Waker::from(yielded.clone());
        let mut repolls = 0;
        loop {
            yielded.woken.store(false, Ordering::Relaxed);
            if let Poll::Ready(out) = execution
                .as_mut()
                .poll(&mut TaskContext::from_waker(&waker))
            {
                return Poll::Ready(out);
            }
            if yielded.woken.load(Ordering::Relaxed) && repolls < MAX_REPOLLS {
                // It only made room for other tasks: more of this level's keys are to come.
                repolls += 1;
                continue;
            }
            running.extend(queue.take());
            let mut finished = false;
            while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {
                finished = true;
            }
            if !finished {
                return Poll::Pending;
            }
        }
    })
}

/// How many times in a row [`run_batched`] polls a request that yields without waiting, before
/// it lets other tasks run.
pub const MAX_REPOLLS: u32 = 1_000;

/// Records whether a request woke itself while it was polled.
struct YieldFlag {
    woken: AtomicBool,
    task: Waker,
}

impl Wake for YieldFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Relaxed);
        self.task.wake_by_ref();
    }
}

/// A row fetched by id.
pub struct ById<M>(pub i32, PhantomData<fn() -> M>);

impl<M> ById<M> {
    /// The key of row `id`.
    pub fn new(id: i32) -> Self {
        Self(id, PhantomData)
    }
}

impl<M> Clone for ById<M> {
    fn clone(&self) -> Self {
        Self::new(self.0)
    }
}
impl<M> PartialEq for ById<M> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<M> Eq for ById<M> {}
impl<M> Hash for ById<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<M: Visible> Loader<ById<M>> for DbLoader {
    type Value = M;
    type Error = AppError;

    async fn load(&self, keys: &[ById<M>]) -> Result<HashMap<ById<M>, M>, AppError> {
        let rows = crate::directory::visible::by_ids::<M>(
            &self.db,
            &self.viewer,
            keys.iter().map(|k| k.0),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|model| (ById::new(model.id()), model))
            .collect())
    }
}

/// One page of a relation under one parent.
pub struct Related<M> {
    relation: Relation,
    parent: i32,
    page: PageRequest,
    total: bool,
    marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Related<M> {
    fn clone(&self) -> Self {
        Self {
            relation: self.relation,
            parent: self.parent,
            page: self.page.clone(),
            total: self.total,
            marker: PhantomData,
        }
    }
}
impl<M> PartialEq for Related<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.relation, self.parent, &self.page, self.total)
            == (other.relation, other.parent, &other.page, other.total)
    }
}
impl<M> Eq for Related<M> {}
impl<M> Hash for Related<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.relation, self.parent, &self.page, self.total).hash(state);
    }
}

impl<M: Row> Loader<Related<M>> for DbLoader {
    type Value = Page<M>;
    type Error = AppError;

    async fn load(&self, keys: &[Related<M>]) -> Result<HashMap<Related<M>, Page<M>>, AppError> {
        // Keys that share relation and page arguments are loaded together: one query per group.
        let mut groups: HashMap<(Relation, &PageRequest, bool), Vec<i32>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.relation, &key.page, key.total))
                .or_default()
                .push(key.parent);
        }
        let mut out = HashMap::new();
        for ((relation, page, total), parents) in groups {
            let (listing, link) = relation.spec(&self.viewer);
            debug_assert_eq!(listing.table, M::TABLE);
            let pages = listing
                .pages_by_parent::<M>(&self.db, link, &parents, page, total)
                .await?;
            for (parent, result) in pages {
                let key = Related {
                    relation,
                    parent,
                    page: page.clone(),
                    total,
                    marker: PhantomData,
                };
                out.insert(key, result);
            }
        }
        Ok(out)
    }
}

/// The care domains of an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CareDomainsOf(pub i32);

impl Loader<CareDomainsOf> for DbLoader {
    type Value = Vec<CareDomain>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[CareDomainsOf],
    ) -> Result<HashMap<CareDomainsOf, Vec<CareDomain>>, AppError> {
        crate::directory::organization::care_domains(
            &self.db,
            &keys.iter().map(|k| k.0).collect::<Vec<_>>(),
        )
        .await
        .map(|map| {
            map.into_iter()
                .map(|(id, domains)| (CareDomainsOf(id), domains))
                .collect()
        })
    }
}

fn loader<'a>(ctx: &'a Context<'_>) -> &'a DataLoader<DbLoader> {
    ctx.data_unchecked::<DataLoader<DbLoader>>()
}

/// Rows by id (invisible and missing ones are left out).
pub async fn by_ids<M: Visible>(ctx: &Context<'_>, ids: &[i32]) -> AppResult<HashMap<i32, M>> {
    let found = loader(ctx)
        .load_many(ids.iter().map(|id| ById::<M>::new(*id)))
        .await?;
    Ok(found
        .into_iter()
        .map(|(key, model)| (key.0, model))
        .collect())
}

/// A row by id, if it exists and is visible.
pub async fn by_id<M: Visible>(ctx: &Context<'_>, id: i32) -> AppResult<Option<M>> {
    loader(ctx).load_one(ById::<M>::new(id)).await
}

/// One page of `relation` under `parent`, with the total when the client selected it.
async fn related<M: Row>(
    ctx: &Context<'_>,
    relation: Relation,
    parent: i32,
    args: PageArgs,
) -> AppResult<(Page<M>, SortKey)> {
    let (listing, _) = relation.spec(ctx.data_unchecked::<Viewer>());
    let page = PageRequest::parse(args, listing.sort.name)?;
    let total = crate::graphql::connection::wants_total(ctx);
    let key = Related {
        relation,
        parent,
        page,
        total,
        marker: PhantomData,
    };
    let page = loader(ctx)
        .load_one(key)
        .await?
        .unwrap_or_else(|| Page::empty(total));
    Ok((page, listing.sort))
}

/// The connection of `relation` under `parent`, each row wrapped in its GraphQL type.
pub async fn related_connection<M: Row, T: async_graphql::OutputType>(
    ctx: &Context<'_>,
    relation: Relation,
    parent: i32,
    args: PageArgs,
    wrap: impl Fn(M) -> T,
) -> AppResult<crate::graphql::connection::Conn<T>> {
    let (page, sort) = related::<M>(ctx, relation, parent, args).await?;
    Ok(crate::graphql::connection::connection(page, &sort, wrap))
}

/// The care domains of an organization.
pub async fn care_domains(ctx: &Context<'_>, organization: i32) -> AppResult<Vec<CareDomain>> {
    Ok(loader(ctx)
        .load_one(CareDomainsOf(organization))
        .await?
        .unwrap_or_default())
}
