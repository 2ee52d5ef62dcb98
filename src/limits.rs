//! Rate limits: requests per client IP and per token subject, contributions per IP, and a query
//! cost budget per caller, reported the way Shopify reports query cost. Backed by `governor`
//! (GCRA, keyed, lock-free). Beside the core, like `auth`: the transport fills in who is asking
//! (`ClientIp`, the `Viewer`), the GraphQL layer and the core spend from these limits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;

use crate::config::Config;
use crate::error::AppError;

type CostLimiter = DefaultKeyedRateLimiter<String, StateInformationMiddleware>;

/// All limiters of a server.
pub struct Limits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_subject: DefaultKeyedRateLimiter<String>,
    submissions: DefaultKeyedRateLimiter<IpAddr>,
    costs: Mutex<HashMap<u32, Arc<CostLimiter>>>,
    default_budget: u32,
    /// Most contributions waiting for moderation.
    pub max_pending_posts: u64,
    clock: DefaultClock,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// What a rate-limited request is told.
fn limited(what: &str, wait: std::time::Duration) -> AppError {
    let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    AppError::RateLimited {
        message: format!("too many {what}; retry in {retry_after} s"),
        retry_after: retry_after.max(1),
    }
}

/// The cost of one request and the caller's remaining budget, as reported in
/// `extensions.cost`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostReport {
    /// The query's cost (each field 1, a connection its page size times what it selects).
    pub requested_query_cost: u32,
    /// The caller's budget.
    pub throttle_status: ThrottleStatus,
}

/// The caller's cost budget.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    /// The budget when full.
    pub maximum_available: u32,
    /// What is left now.
    pub currently_available: u32,
    /// How much comes back per second.
    pub restore_rate: f64,
}

impl Limits {
    /// Limiters with the configured quotas.
    pub fn new(config: &Config) -> Self {
        Self {
            per_ip: RateLimiter::keyed(Quota::per_minute(nonzero(config.rate_limit_ip_per_minute))),
            per_subject: RateLimiter::keyed(Quota::per_minute(nonzero(
                config.rate_limit_token_per_minute,
            ))),
            submissions: RateLimiter::keyed(Quota::per_hour(nonzero(
                config.rate_limit_submissions_per_hour,
            ))),
            costs: Mutex::new(HashMap::new()),
            default_budget: config.cost_budget_per_minute,
            max_pending_posts: config.max_pending_posts,
            clock: DefaultClock::default(),
        }
    }

    /// Forgets the callers whose limits have fully recovered (their state is the same as a
    /// newcomer's), so that memory does not grow with every address and token subject ever seen.
    /// Runs every minute.
    pub fn prune(&self) {
        self.per_ip.retain_recent();
        self.per_ip.shrink_to_fit();
        self.per_subject.retain_recent();
        self.per_subject.shrink_to_fit();
        self.submissions.retain_recent();
        self.submissions.shrink_to_fit();
        if let Ok(costs) = self.costs.lock() {
            for limiter in costs.values() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }

    /// The callers the limiters remember now (addresses, subjects, contributors, budgets).
    pub fn tracked(&self) -> usize {
        let costs = self
            .costs
            .lock()
            .map(|costs| costs.values().map(|l| l.len()).sum())
            .unwrap_or(0);
        self.per_ip.len() + self.per_subject.len() + self.submissions.len() + costs
    }

    /// Counts a request from `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), AppError> {
        self.per_ip.check_key(&ip).map_err(|not_until| {
            limited(
                "requests from this address",
                not_until.wait_time_from(self.clock.now()),
            )
        })
    }

    /// Counts a request of the token subject `sub`.
    pub fn check_subject(&self, sub: &str) -> Result<(), AppError> {
        self.per_subject
            .check_key(&sub.to_owned())
            .map_err(|not_until| {
                limited(
                    "requests with this token",
                    not_until.wait_time_from(self.clock.now()),
                )
            })
    }

    /// Counts an anonymous contribution from `ip`.
    pub fn check_submission(&self, ip: IpAddr) -> Result<(), AppError> {
        self.submissions.check_key(&ip).map_err(|not_until| {
            limited(
                "contributions from this address",
                not_until.wait_time_from(self.clock.now()),
            )
        })
    }

    /// Spends `cost` of the budget of `caller` (a token subject or an IP address); `budget`
    /// overrides the default budget per minute.
    pub fn spend(
        &self,
        caller: &str,
        budget: Option<u32>,
        cost: u32,
    ) -> Result<CostReport, AppError> {
        let budget = budget.unwrap_or(self.default_budget);
        if budget == 0 {
            // No budget (COST_BUDGET_PER_MINUTE=0): nothing is spent, nothing is refused.
            return Ok(CostReport {
                requested_query_cost: cost,
                throttle_status: ThrottleStatus {
                    maximum_available: u32::MAX,
                    currently_available: u32::MAX,
                    restore_rate: 0.0,
                },
            });
        }
        let limiter = {
            let mut costs = self
                .costs
                .lock()
                .map_err(|_| AppError::internal("cost limiter poisoned"))?;
            costs
                .entry(budget)
                .or_insert_with(|| {
                    Arc::new(
                        RateLimiter::keyed(Quota::per_minute(nonzero(budget)))
                            .with_middleware::<StateInformationMiddleware>(),
                    )
                })
                .clone()
        };
        let status = |available: u32| ThrottleStatus {
            maximum_available: budget,
            currently_available: available,
            restore_rate: f64::from(budget) / 60.0,
        };
        let Some(n) = NonZeroU32::new(cost) else {
            return Ok(CostReport {
                requested_query_cost: 0,
                throttle_status: status(budget),
            });
        };
        match limiter.check_key_n(&caller.to_owned(), n) {
            Ok(Ok(snapshot)) => Ok(CostReport {
                requested_query_cost: cost,
                throttle_status: status(snapshot.remaining_burst_capacity()),
            }),
            Ok(Err(not_until)) => Err(limited(
                "query cost this minute",
                not_until.wait_time_from(self.clock.now()),
            )),
            Err(_) => Err(AppError::Client {
                code: crate::error::ErrorCode::QueryTooComplex,
                message: format!(
                    "the query costs {cost}, more than the budget of {budget} per minute"
                ),
            }),
        }
    }
}

/// The address of the client of a request (the TCP peer, or the trusted proxy's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);
