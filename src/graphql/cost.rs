//! The query cost budget: after validation, a query's cost (its complexity) is spent from the
//! caller's budget per minute, and the response reports it in `extensions.cost`.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation,
};
use async_graphql::{Pos, Response, ServerError, ValidationResult, Value};

use crate::auth::Viewer;
use crate::http::limits::{ClientIp, CostReport, Limits};

/// Makes a [`CostBudget`] per request.
pub struct CostBudgetFactory(pub Arc<Limits>);

impl ExtensionFactory for CostBudgetFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostBudget {
            limits: self.0.clone(),
            report: Mutex::new(None),
        })
    }
}

/// Spends a request's cost and reports it.
pub struct CostBudget {
    limits: Arc<Limits>,
    report: Mutex<Option<CostReport>>,
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
        let viewer = ctx.data_opt::<Viewer>();
        let (caller, budget) = match viewer.and_then(Viewer::session) {
            Some(session) => (format!("token:{}", session.sub), session.cost_budget),
            None => (
                format!(
                    "ip:{}",
                    ctx.data_opt::<ClientIp>()
                        .map(|ip| ip.0.to_string())
                        .unwrap_or_default()
                ),
                None,
            ),
        };
        let cost = u32::try_from(result.complexity).unwrap_or(u32::MAX);
        match self.limits.spend(&caller, budget, cost) {
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
