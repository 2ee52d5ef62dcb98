//! The query cost budget: after validation, a query's cost (its complexity) is spent from the
//! caller's budget per minute, and the response reports it in `extensions.cost`.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation,
};
use async_graphql::{Pos, Response, ServerError, ValidationResult, Value};

use crate::auth::Viewer;
use crate::limits::{ClientIp, CostReport, Limits};

/// Makes a [`CostBudget`] per request.
pub struct CostBudgetFactory {
    /// The rate limits and budgets.
    pub limits: Arc<Limits>,
    /// The deepest nesting allowed.
    pub max_depth: usize,
    /// The highest cost allowed.
    pub max_cost: usize,
}

impl ExtensionFactory for CostBudgetFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostBudget {
            limits: self.limits.clone(),
            max_depth: self.max_depth,
            max_cost: self.max_cost,
            report: Mutex::new(None),
        })
    }
}

/// Checks a request's depth and cost against the limits (saying which limit and by how much,
/// where async-graphql's own limits say only "too complex"), spends its cost and reports it.
pub struct CostBudget {
    limits: Arc<Limits>,
    max_depth: usize,
    max_cost: usize,
    report: Mutex<Option<CostReport>>,
}

/// `61200` → `61,200`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn too_complex(message: String) -> Vec<ServerError> {
    let err = crate::error::AppError::Client {
        code: crate::error::ErrorCode::QueryTooComplex,
        message,
    };
    vec![async_graphql::Error::from(err).into_server_error(Pos::default())]
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostBudget {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let report = self.report.lock().ok().and_then(|mut r| r.take());
        match report.and_then(|r| Value::from_json(serde_json::to_value(r).ok()?).ok()) {
            Some(value) => response.extension("cost", value),
            None => response,
        }
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.max_depth {
            return Err(too_complex(format!(
                "the query's depth {} is over the limit of {}",
                result.depth, self.max_depth
            )));
        }
        if result.complexity > self.max_cost {
            return Err(too_complex(format!(
                "the query's cost {} is over the limit of {} (a connection costs its page size \
                 times what it selects: ask for smaller pages or fewer fields)",
                thousands(result.complexity),
                thousands(self.max_cost)
            )));
        }
        match spend(
            &self.limits,
            ctx.data_opt::<Viewer>(),
            ctx.data_opt::<ClientIp>(),
            result.complexity,
        ) {
            Ok(report) => {
                if let Ok(mut slot) = self.report.lock() {
                    *slot = Some(report);
                }
                Ok(result)
            }
            Err(err) => Err(vec![
                async_graphql::Error::from(err).into_server_error(Pos::default()),
            ]),
        }
    }
}

/// Spends `cost` from the budget of the caller: its token's subject (with the token's own
/// budget, if it has one), or else its address.
pub fn spend(
    limits: &Limits,
    viewer: Option<&Viewer>,
    client: Option<&ClientIp>,
    cost: usize,
) -> Result<CostReport, crate::error::AppError> {
    let (caller, budget) = match viewer.and_then(Viewer::session) {
        Some(session) => (format!("token:{}", session.sub), session.cost_budget),
        None => (
            format!(
                "ip:{}",
                client.map(|ip| ip.0.to_string()).unwrap_or_default()
            ),
            None,
        ),
    };
    limits.spend(&caller, budget, u32::try_from(cost).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(61_200), "61,200");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
