//! Entry point: parse the command line, load the configuration, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use migration::MigratorTrait;
use sipas::cli::{Cli, Command, MigrateAction};
use sipas::config::Settings;
use sipas::startup::Application;
use sipas::{persistence, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, no backtrace: what failed and why.
            eprintln!("sipas: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(&cli.config_dir)?;
    telemetry::init(settings.log.format, &settings.log.level, telemetry::Stderr);
    match cli.command.unwrap_or(Command::Serve { bind: None }) {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
                settings.validate()?;
            }
            let app = Application::build(settings).await?;
            tracing::info!(address = %app.local_addr(), "sipas is listening");
            app.run_until_stopped().await
        }
        Command::Migrate { action } => {
            let db = persistence::connect(&settings.database).await?;
            match action.unwrap_or(MigrateAction::Up) {
                MigrateAction::Up => migration::Migrator::up(&db, None).await?,
                MigrateAction::Down { steps } => {
                    migration::Migrator::down(&db, Some(steps)).await?
                }
                MigrateAction::Status => {
                    for m in migration::Migrator::get_migration_with_status(&db).await? {
                        println!("{}\t{:?}", m.name(), m.status());
                    }
                }
            }
            db.close().await?;
            Ok(())
        }
    }
}
