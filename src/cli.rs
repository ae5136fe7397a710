//! The command line: `sipas [serve]`, `sipas migrate [up|down|status]`,
//! `sipas forms check|list|retire`, `sipas keys create|list|revoke`,
//! `sipas users create|list|disable`,
//! `sipas agencies import FILE.csv`, `sipas responses import FILE.csv`, `sipas demo`,
//! `sipas backup FILE`, `sipas retention run`.

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
        /// Load the demo province first (as `sipas demo --scale province`) unless the database
        /// already has it, and print its sign-in credentials.
        #[arg(long)]
        demo: bool,
        /// Tests: the scale `--demo` loads.
        #[arg(long, hide = true, value_enum, default_value_t = DemoScale::Province)]
        demo_scale: DemoScale,
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
    /// Create, list or revoke API keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Create, list or disable officer accounts (sign-in to the web pages).
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Manage agencies.
    Agencies {
        #[command(subcommand)]
        action: AgenciesAction,
    },
    /// Maintain the score aggregates.
    Scores {
        #[command(subcommand)]
        action: ScoresAction,
    },
    /// Publication by closed month: list the closed months, or close one early.
    Months {
        #[command(subcommand)]
        action: MonthsAction,
    },
    /// Enter questionnaires collected on paper, at a kiosk or by phone.
    Responses {
        #[command(subcommand)]
        action: ResponsesAction,
    },
    /// Load a demo province (tỉnh Minh Sơn: departments, districts, communes, months of dossiers
    /// and questionnaires) with an administrator account, an agency officer account and an
    /// admin API key, and print their credentials. Refused when the demo is already loaded.
    Demo(DemoArgs),
    /// Copy a SQLite database to FILE while the server runs (a consistent snapshot, taken with
    /// `VACUUM INTO`), and print the file and its size. FILE must not exist. The server secret
    /// is not in the copy: back up the key file (or the secret) apart. On PostgreSQL this prints
    /// the `pg_dump` recipe instead and exits with status 2.
    Backup {
        /// The new file.
        file: std::path::PathBuf,
    },
    /// Apply `retention.dossier_months` now (the server does it every hour).
    Retention {
        #[command(subcommand)]
        action: RetentionAction,
    },
}

#[derive(Debug, Subcommand, Clone, Copy)]
pub enum RetentionAction {
    /// Delete the sealed dossiers of the closed months older than `retention.dossier_months`,
    /// keeping their counts, and print how many.
    Run,
}

/// `sipas demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// `small` (a dozen agencies, 12 months, seconds) or `province` (131 agencies, 24 months,
    /// about 300,000 dossiers).
    #[arg(long, value_enum, default_value_t = DemoScale::Province)]
    pub scale: DemoScale,
    /// Benchmarks: this many agencies directly below the province instead of a scale.
    #[arg(long, hide = true, requires = "responses")]
    pub agencies: Option<usize>,
    /// Benchmarks: about this many questionnaires in all (with --agencies).
    #[arg(long, hide = true, requires = "agencies")]
    pub responses: Option<u64>,
    /// Benchmarks: months of data (with --agencies; default 12).
    #[arg(long, hide = true, default_value_t = 12)]
    pub months: u32,
    /// The last month with data, YYYY-MM (default: last month).
    #[arg(long, hide = true, value_parser = parse_month)]
    pub until: Option<(i32, u32)>,
}

impl DemoArgs {
    /// The scale asked for.
    pub fn scale(&self) -> crate::demo::Scale {
        match (self.agencies, self.responses) {
            (Some(agencies), Some(responses)) => crate::demo::Scale::Custom {
                agencies,
                responses,
                months: self.months,
            },
            _ => match self.scale {
                DemoScale::Small => crate::demo::Scale::Small,
                DemoScale::Province => crate::demo::Scale::Province,
            },
        }
    }
}

fn parse_month(raw: &str) -> Result<(i32, u32), String> {
    let (y, m) = raw
        .split_once('-')
        .ok_or_else(|| "expected YYYY-MM".to_owned())?;
    match (y.parse::<i32>(), m.parse::<u32>()) {
        (Ok(y), Ok(m)) if (2000..=2099).contains(&y) && (1..=12).contains(&m) => Ok((y, m)),
        _ => Err("expected YYYY-MM".to_owned()),
    }
}

/// The size of the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoScale {
    Small,
    Province,
}

#[derive(Debug, Subcommand, Clone)]
pub enum MonthsAction {
    /// List the closed months (month, closed at, why), oldest first, tab-separated.
    List,
    /// Close a month that has ended, and every earlier open month, before their links expire:
    /// their answers are published and their links still open stop working.
    Close {
        /// `YYYY-MM`.
        month: String,
    },
}

#[derive(Debug, Subcommand, Clone, Copy)]
pub enum ScoresAction {
    /// Recompute every roll-up and dossier count from the stored responses and dossiers
    /// (in one transaction; the result equals what the live updates produced).
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum ResponsesAction {
    /// Import questionnaires of one agency's dossiers from a CSV file (UTF-8, comma-separated,
    /// header line), one row per questionnaire.
    ///
    /// Columns: `dossier_code`, then one column per question id of the form, in any order;
    /// columns may be left out. A cell holds: nothing for an unanswered question; the level
    /// (an integer) for a scale; the option id for single choice; option ids separated by `;`
    /// for multiple choice (e.g. `facilities;simpler_procedures`); `yes`/`no` (or `có`/`không`,
    /// `true`/`false`) for yes/no; a number; free text (quoted if it holds commas).
    ///
    /// Each dossier must be registered for the agency, with this form, and not yet answered.
    /// The answers are checked exactly like those sent to the API; a paper questionnaire with
    /// too many blank satisfaction items is stored as an invalid return. The whole file is
    /// checked first: if any row is bad, every bad row is reported (line, question, message),
    /// nothing is stored and the exit code is 1 — unless `--skip-bad`. Rows are stored in
    /// random order, in transactions of `responses.writer_batch_max`; a summary goes to
    /// standard error.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Code of the agency the dossiers are registered for.
        #[arg(long)]
        agency: String,
        /// Key of the form the questionnaires answer (e.g. sipas-2017).
        #[arg(long)]
        form: String,
        /// How the questionnaires were collected. Kiosk and phone are checked like online
        /// answers (a questionnaire without any satisfaction answer is refused).
        #[arg(long, value_enum, default_value_t = ModeArg::Paper)]
        mode: ModeArg,
        /// Store the good rows and report the bad ones (exit code 0) instead of storing nothing.
        #[arg(long)]
        skip_bad: bool,
    },
}

/// How entered questionnaires were collected, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Paper,
    Kiosk,
    Phone,
}

impl From<ModeArg> for crate::domain::submissions::Mode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Paper => Self::Paper,
            ModeArg::Kiosk => Self::Kiosk,
            ModeArg::Phone => Self::Phone,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Create a key and print it, alone, on standard output. It is shown only this once.
    Create {
        /// What the key may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The agency an `agency` key acts for (with every agency below it).
        #[arg(long, required_if_eq("role", "agency"))]
        agency: Option<String>,
        /// A note to recognise the key by in `keys list` (who holds it, what for).
        #[arg(long)]
        label: Option<String>,
    },
    /// List every key: id, role, agency, label, created, last used, revoked.
    List,
    /// Revoke a key; it stops working at once.
    Revoke {
        /// The key's id, as shown by `keys list`.
        id: uuid::Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Create an account. A generated password is printed, alone, on standard output, to hand
    /// to the officer; it is shown only this once. With --password-stdin the password is read
    /// from standard input instead (at least 12 characters) and nothing is printed there.
    Create {
        /// What the account may do (the same roles as API keys).
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The agency an `agency` account acts for (with every agency below it).
        #[arg(long, required_if_eq("role", "agency"))]
        agency: Option<String>,
        /// Read the password from standard input (one trailing line break is dropped).
        #[arg(long)]
        password_stdin: bool,
        /// The officer's e-mail address: what they sign in with.
        email: String,
    },
    /// List every account: id, e-mail, role, agency, created, last sign-in, disabled, locked.
    List,
    /// Disable an account: it can no longer sign in, and its open sessions end at once.
    Disable {
        /// The account's id (as shown by `users list`) or e-mail address.
        user: String,
    },
}

/// A key's role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Agency,
    Pipeline,
}

impl From<RoleArg> for crate::domain::auth::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Self::Admin,
            RoleArg::Agency => Self::Agency,
            RoleArg::Pipeline => Self::Pipeline,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AgenciesAction {
    /// Import agencies from a CSV file with the columns code,name_vi,name_en,kind,parent_code
    /// (optionally default_form). Parents may come after their children. The whole file is
    /// checked first; if any row is bad, every bad row is reported and nothing is imported.
    Import {
        /// The CSV file (UTF-8, comma-separated, with a header line).
        file: std::path::PathBuf,
    },
    /// Rename, move, close or merge one agency from a month (as `PATCH /api/v1/agencies/CODE`).
    Change(AgencyChangeArgs),
    /// Apply a reorganisation file: renames, moves, closings and merges (and the new agencies
    /// they need) with one effective month, all or nothing; every bad line is reported. Columns
    /// `action,code,name_vi,name_en,parent_code,into,kind`; see the README.
    Reorganise {
        /// The CSV file (UTF-8, comma-separated, with a header line).
        file: std::path::PathBuf,
        /// The month every change takes effect in, `YYYY-MM`.
        #[arg(long)]
        effective_from: String,
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `sipas agencies change CODE`.
#[derive(Debug, Clone, clap::Args)]
pub struct AgencyChangeArgs {
    /// The agency's code.
    pub code: String,
    /// New Vietnamese name (from `--effective-from`).
    #[arg(long, requires = "effective_from")]
    pub name_vi: Option<String>,
    /// New English name (with `--name-vi`; without it the English name is removed).
    #[arg(long, requires = "name_vi")]
    pub name_en: Option<String>,
    /// New parent (from `--effective-from`).
    #[arg(long, requires = "effective_from", conflicts_with = "top_level")]
    pub parent: Option<String>,
    /// Make it a top-level agency (from `--effective-from`).
    #[arg(long, requires = "effective_from")]
    pub top_level: bool,
    /// The month new names or a new parent take effect in, `YYYY-MM`.
    #[arg(long)]
    pub effective_from: Option<String>,
    /// The first month it is no longer in force, `YYYY-MM`.
    #[arg(long)]
    pub closed_from: Option<String>,
    /// With `--closed-from`: the agency it is merged into.
    #[arg(long, requires = "closed_from")]
    pub merged_into: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum FormsAction {
    /// Check form definition files or folders (default: the built-in forms with those of
    /// `forms.dir`, as a start loads them); exit 1 on any error.
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
