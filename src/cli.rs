//! The command line: `sipas [serve]`, `sipas migrate [up|down|status]`.

use clap::{Parser, Subcommand};

/// sipas — citizen-satisfaction measurement (SIPAS) for Vietnamese administrative services.
#[derive(Debug, Parser)]
#[command(name = "sipas", version, about, long_about = None)]
pub struct Cli {
    /// Folder holding `default.toml` and `{APP_ENV}.toml`.
    #[arg(
        long,
        global = true,
        default_value = "config",
        env = "SIPAS_CONFIG_DIR"
    )]
    pub config_dir: std::path::PathBuf,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default when no subcommand is given).
    Serve {
        /// Address to listen on, HOST:PORT (overrides `server.bind`).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
}

#[derive(Debug, Subcommand, Clone, Copy)]
pub enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Roll back the most recent migrations.
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}
