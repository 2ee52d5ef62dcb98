pub use sea_orm::{
    DatabaseExecutor as SchemaManagerConnection,
    IntoDatabaseExecutor as IntoSchemaManagerConnection,
};
