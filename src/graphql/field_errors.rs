//! Field errors as the GraphQL specification wants them: a field that fails (refused, not found,
//! bad argument) is `null` in `data`, with its key present, and its error in `errors`; a failing
//! non-null field makes its nearest nullable ancestor `null` instead. async-graphql 7 leaves a
//! failed field's key out of its object, and turns an object whose every field failed into `null`
//! (which reads as "not found" and puts `null` into lists of non-null objects); this extension
//! catches each error at the first nullable field on its way up and answers `null` there.
//!
//! It also records whether execution started at all, so that a request refused before (parse,
//! validation, limits) is answered without a `data` key.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, Value};

/// Set when a request's execution started; the transport reads it to leave `data` out of
/// answers to requests that never ran.
#[derive(Clone, Default)]
pub struct ExecutionStarted(Arc<AtomicBool>);

impl ExecutionStarted {
    /// Whether execution started.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Makes a [`NullOnError`] per request.
pub struct NullOnErrorFactory;

impl ExtensionFactory for NullOnErrorFactory {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(NullOnError::default())
    }
}

/// The errors caught at nullable fields during one request.
#[derive(Default)]
pub struct NullOnError {
    caught: Mutex<Vec<ServerError>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for NullOnError {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(started) = ctx.data_opt::<ExecutionStarted>() {
            started.0.store(true, Ordering::Relaxed);
        }
        let mut response = next.run(ctx, operation_name).await;
        let caught = std::mem::take(&mut *self.caught.lock().unwrap_or_else(|e| e.into_inner()));
        response.errors.extend(caught);
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nullable = !info.return_type.ends_with('!');
        match next.run(ctx, info).await {
            Err(err) if nullable => {
                self.caught
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(err);
                Ok(Some(Value::Null))
            }
            other => other,
        }
    }
}
