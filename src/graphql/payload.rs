//! Mutation payloads: the changed object and `userErrors`, the problems with the caller's input
//! (the core's [`Problem`]s). Validation problems are data, not GraphQL errors.

use async_graphql::{Enum, SimpleObject};

use crate::directory::checks::{Patch, Problem, ProblemCode};

/// What is wrong with an input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UserErrorCode {
    /// The field is required.
    Required,
    /// The value is too long.
    TooLong,
    /// The value is not of the right form (URL, e-mail address, slug, date).
    Invalid,
    /// The value must be unique and is taken.
    Taken,
    /// A referenced object does not exist.
    NotFound,
}

impl From<ProblemCode> for UserErrorCode {
    fn from(code: ProblemCode) -> Self {
        match code {
            ProblemCode::Required => Self::Required,
            ProblemCode::TooLong => Self::TooLong,
            ProblemCode::Invalid => Self::Invalid,
            ProblemCode::Taken => Self::Taken,
            ProblemCode::NotFound => Self::NotFound,
        }
    }
}

/// A problem with the input of a mutation; nothing was changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// The input field at fault (camelCase, as in the input type), e.g. `website`.
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
    /// What is wrong, for programs.
    pub code: UserErrorCode,
}

impl From<Problem> for UserError {
    fn from(problem: Problem) -> Self {
        Self {
            field: problem.field,
            message: problem.message,
            code: problem.code.into(),
        }
    }
}

/// The user errors of `problems`.
pub fn user_errors(problems: Vec<Problem>) -> Vec<UserError> {
    problems.into_iter().map(UserError::from).collect()
}

/// A nullable input field as the core's patch: absent keeps, `null` clears, a value sets.
pub fn patch<T>(value: async_graphql::MaybeUndefined<T>) -> Patch<T> {
    match value {
        async_graphql::MaybeUndefined::Undefined => Patch::Keep,
        async_graphql::MaybeUndefined::Null => Patch::Clear,
        async_graphql::MaybeUndefined::Value(value) => Patch::Set(value),
    }
}

/// An optional input value as a patch: absent leaves the field as it is.
pub fn defined<T>(value: Option<T>) -> async_graphql::MaybeUndefined<T> {
    value.map_or(
        async_graphql::MaybeUndefined::Undefined,
        async_graphql::MaybeUndefined::Value,
    )
}

/// Defines a mutation payload type: the changed object (absent when there are user errors)
/// and the user errors.
macro_rules! payload {
    ($(#[doc = $doc:literal])* $name:ident, $field:ident: $ty:ty) => {
        $(#[doc = $doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The object as it is after the change; `null` when nothing was changed.
            pub $field: Option<$ty>,
            /// Problems with the input; when there are any, nothing was changed.
            pub user_errors: Vec<$crate::graphql::payload::UserError>,
        }

        impl $name {
            /// A payload for a change that was made.
            pub fn done(value: $ty) -> Self {
                Self { $field: Some(value), user_errors: Vec::new() }
            }

            /// The payload of a write's outcome: the changed row (wrapped), or the user errors
            /// that stopped it.
            pub fn outcome<R>(
                outcome: Result<R, Vec<$crate::directory::checks::Problem>>,
                wrap: impl FnOnce(R) -> $ty,
            ) -> Self {
                match outcome {
                    Ok(row) => Self::done(wrap(row)),
                    Err(problems) => Self::refused(problems),
                }
            }

            /// A payload for input that was refused.
            pub fn refused(problems: Vec<$crate::directory::checks::Problem>) -> Self {
                Self { $field: None, user_errors: $crate::graphql::payload::user_errors(problems) }
            }
        }
    };
}
pub(crate) use payload;
