//! The command line: `sipas [serve]`, `sipas migrate [up|down|status]`,
//! `sipas forms check|list|retire`.

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
    /// Check, list or retire survey forms.
    Forms {
        #[command(subcommand)]
        action: FormsAction,
    },
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FormsAction {
    /// Check form definition files or folders (default: `forms.dir`); exit 1 on any error.
    Check {
        /// Files or folders to check.
        paths: Vec<std::path::PathBuf>,
        /// Also list every question whose wording is not yet `official`.
        #[arg(long)]
        wordings: bool,
    },
    /// List every published form version in the database.
    List,
    /// Retire a published version: no new surveys use it; it stays retrievable. Running
    /// servers pick it up at their next start.
    Retire {
        /// Form key, e.g. sipas-2017.
        key: String,
        /// Version number.
        version: u32,
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
