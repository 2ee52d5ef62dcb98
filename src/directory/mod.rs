//! The directory's core, below the faces (GraphQL, HTTP routes, CLI commands, jobs) and above
//! the database: what every face shares. It imports neither `crate::graphql` nor `crate::http`.

pub mod id;
