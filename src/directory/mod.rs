//! The directory's core, below the faces (GraphQL, HTTP routes, CLI commands, jobs) and above
//! the database: what every face shares. It never imports the GraphQL or HTTP layers.

pub mod access;
pub mod checks;
pub mod event;
pub mod feed;
pub mod id;
pub mod named;
pub mod organization;
pub mod partner;
pub mod post;
pub mod region;
pub mod relation;
pub mod search;
pub mod visible;
pub mod vocabulary;
