//! The `network-directory` binary: parse the command line, start logging, dispatch.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use network_directory::cli::{Cli, Command};
use network_directory::error::AppError;
use network_directory::{App, db, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(cli.config.log_format, &cli.config.log_filter);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let message = match err {
                AppError::Client { message, .. } => message,
                AppError::Internal(cause) => cause.to_string(),
            };
            tracing::error!(error = %message, "failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            App::build(&config)
                .await?
                .run(network_directory::app::shutdown_signal())
                .await
        }
        Command::Migrate { down } => {
            let (conn, _) = db::connect(&config).await?;
            match down {
                Some(steps) => db::rollback(&conn, steps).await?,
                None => db::migrate(&conn).await?,
            }
            tracing::info!("migrations done");
            Ok(())
        }
        Command::Seed => {
            let (conn, _) = db::connect(&config).await?;
            db::migrate(&conn).await?;
            let report = db::seed::seed(&conn).await?;
            tracing::info!(inserted = report.inserted, "seed done");
            Ok(())
        }
        Command::Schema => {
            let mut out = std::io::stdout().lock();
            out.write_all(network_directory::sdl().as_bytes())
                .map_err(AppError::internal)?;
            Ok(())
        }
    }
}
