//! Entry point: parse the command line, load the configuration, set up logging, run.

use std::process::ExitCode;

use clap::Parser;
use sipas::cli::{
    AgenciesAction, Cli, Command, KeysAction, MigrateAction, MonthsAction, ResponsesAction,
    RetentionAction, ScoresAction, UsersAction,
};
use sipas::commands::responses::ResponseImport;
use sipas::commands::{self, ImportError};
use sipas::config::Settings;
use sipas::domain::agencies::RowError;
use sipas::persistence::api_keys::Revoked;
use sipas::startup::Application;
use sipas::{persistence, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // On PostgreSQL: its own status, and the pg_dump recipe rather than an error line.
        Err(err) if err.is::<commands::backup::OnPostgres>() => {
            eprint!("{err}");
            ExitCode::from(2)
        }
        Err(err) => {
            // One line, no backtrace: what failed and why.
            eprintln!("sipas: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the subcommand (`serve` when none is given).
async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.config_dir)?;
    telemetry::init(settings.log.format, &settings.log.level, telemetry::Stderr);
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        demo: false,
        demo_scale: sipas::cli::DemoScale::Province,
    }) {
        Command::Serve {
            bind,
            demo,
            demo_scale,
        } => serve(settings, bind, demo.then_some(demo_scale)).await,
        Command::Demo(args) => demo(&settings, args).await,
        Command::Migrate { action } => {
            commands::migrate(&settings, action.unwrap_or(MigrateAction::Up)).await
        }
        Command::Forms { action } => commands::forms::run(&settings, action).await,
        Command::Keys { action } => {
            let db = open(&settings).await?;
            let result = keys(&db, action).await;
            db.close().await?;
            result
        }
        Command::Users { action } => {
            let db = open(&settings).await?;
            let result = users(&db, action).await;
            db.close().await?;
            result
        }
        Command::Months { action } => months(&settings, action).await,
        Command::Scores {
            action: ScoresAction::Rebuild,
        } => rebuild_scores(&settings).await,
        Command::Agencies { action } => {
            let db = open(&settings).await?;
            let result = match action {
                AgenciesAction::Import { file } => import(&db, &file).await,
                AgenciesAction::Change(args) => commands::agencies::change(&db, &args)
                    .await
                    .map(|out| print!("{out}")),
                AgenciesAction::Reorganise {
                    file,
                    effective_from,
                    dry_run,
                } => reorganise(&db, &file, &effective_from, dry_run).await,
            };
            db.close().await?;
            result
        }
        Command::Backup { file } => backup(&settings, &file).await,
        Command::Retention {
            action: RetentionAction::Run,
        } => retention(&settings).await,
        Command::Responses { action } => responses(&settings, action).await,
    }
}

/// `serve`: on `bind` if given, loading the demo at `demo` scale first if asked; until stopped.
async fn serve(
    mut settings: Settings,
    bind: Option<String>,
    demo: Option<sipas::cli::DemoScale>,
) -> anyhow::Result<()> {
    if let Some(bind) = bind {
        settings.server.bind = bind;
        settings.validate()?;
    }
    let db = persistence::connect(&settings.database).await?;
    let loaded = match demo {
        Some(scale) => serve_demo(&db, &settings, scale).await?,
        None => None,
    };
    let app = Application::build_with_db(settings.clone(), db).await?;
    if let Some(report) = loaded {
        let base = settings.public_base_url(app.local_addr());
        println!("{}", commands::demo::format_report(&report, &base));
    }
    tracing::info!(address = %app.local_addr(), "sipas is listening");
    app.run_until_stopped().await
}

/// `demo`: loads the demo data set and prints its credentials.
async fn demo(settings: &Settings, args: sipas::cli::DemoArgs) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let options = commands::demo::DemoOptions {
        seed: args.seed,
        scale: args.scale(),
        last_month: args.until,
    };
    let result = commands::demo::load(&db, settings, options).await;
    db.close().await?;
    let report = result?;
    print!(
        "{}",
        commands::demo::format_report(&report, &commands::demo::base_url(settings))
    );
    Ok(())
}

/// `months list` and `months close`.
async fn months(settings: &Settings, action: MonthsAction) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let result = match action {
        MonthsAction::List => commands::months::list(&db).await.map(|out| print!("{out}")),
        MonthsAction::Close { month } => {
            commands::months::close(&db, settings, &month).await.map(|c| {
                eprintln!(
                    "closed {} month(s): {} answers published, {} open links ended; published through {}",
                    c.months.len(),
                    c.published,
                    c.links_ended,
                    c.published_through.map(|m| m.to_string()).unwrap_or_else(|| "-".into())
                );
            })
        }
    };
    db.close().await?;
    result
}

/// `scores rebuild`, with what it rebuilt and how long it took.
async fn rebuild_scores(settings: &Settings) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let started = std::time::Instant::now();
    let result = commands::scores::rebuild(&db, settings).await;
    db.close().await?;
    let report = result?;
    eprintln!(
        "rebuilt {} score roll-ups from {} responses and {} dossier counts from {} dossiers in {:.2} s",
        report.buckets,
        report.responses,
        report.dossier_counts,
        report.dossiers,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `backup FILE` (SQLite).
async fn backup(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let written = commands::backup::backup(settings, file).await?;
    let (out, err) = commands::backup::report(&written);
    print!("{out}");
    eprint!("{err}");
    Ok(())
}

/// `retention run`.
async fn retention(settings: &Settings) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let result = commands::retention::run(&db, settings).await;
    db.close().await?;
    eprintln!("{}", result?);
    Ok(())
}

/// `responses import`.
async fn responses(settings: &Settings, action: ResponsesAction) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let result = match action {
        ResponsesAction::Import {
            file,
            agency,
            form,
            mode,
            skip_bad,
        } => {
            let import = ResponseImport {
                file: &file,
                agency: &agency,
                form: &form,
                mode: mode.into(),
                skip_bad,
            };
            import_responses(&db, settings, &import).await
        }
    };
    db.close().await?;
    result
}

/// `serve --demo`: loads the province-scale demo unless it is there already (migrations first,
/// as the server would apply them).
async fn serve_demo(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    scale: sipas::cli::DemoScale,
) -> anyhow::Result<Option<commands::demo::DemoReport>> {
    if settings.database.migrate_on_start {
        persistence::migrate_up(db, settings).await?;
    }
    if commands::demo::is_loaded(db).await? {
        eprintln!(
            "the demo data set is already loaded; sign in with the credentials printed when it \
             was loaded (or create an account with `sipas users create`)"
        );
        return Ok(None);
    }
    eprintln!("loading the demo data set…");
    let options = commands::demo::DemoOptions {
        seed: 2026,
        scale: match scale {
            sipas::cli::DemoScale::Small => sipas::demo::Scale::Small,
            sipas::cli::DemoScale::Province => sipas::demo::Scale::Province,
        },
        last_month: None,
    };
    Ok(Some(commands::demo::load(db, settings, options).await?))
}

/// Connects for an administrative subcommand, applying pending migrations like `serve` does, so
/// `sipas keys create --role admin` works on a fresh installation.
async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = persistence::connect(&settings.database).await?;
    if settings.database.migrate_on_start {
        persistence::migrate_up(&db, settings).await?;
    }
    Ok(db)
}

async fn keys(db: &sea_orm::DatabaseConnection, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Create {
            role,
            agency,
            label,
        } => {
            let created =
                commands::create_key(db, role.into(), agency.as_deref(), label.as_deref()).await?;
            // The key alone on stdout, so `KEY=$(sipas keys create …)` captures exactly it.
            println!("{}", created.secret.expose());
            eprintln!(
                "created key {} (role {}); it is shown only this once",
                created.id,
                sipas::domain::auth::Role::from(role)
            );
        }
        KeysAction::List => {
            print!("{}", commands::format_keys(&commands::list_keys(db).await?));
        }
        KeysAction::Revoke { id } => match commands::revoke_key(db, id).await? {
            Revoked::Now => eprintln!("revoked key {id}"),
            Revoked::Already(at) => eprintln!("key {id} was already revoked at {at}"),
            Revoked::NoSuchKey => anyhow::bail!("there is no key with the id {id}"),
        },
    }
    Ok(())
}

async fn users(db: &sea_orm::DatabaseConnection, action: UsersAction) -> anyhow::Result<()> {
    use sipas::commands::users as cmd;
    use sipas::persistence::users::Disabled;
    match action {
        UsersAction::Create {
            role,
            agency,
            password_stdin,
            email,
        } => {
            let password = if password_stdin {
                let mut input = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut input).map_err(|e| {
                    anyhow::anyhow!("cannot read the password from standard input: {e}")
                })?;
                Some(cmd::password_from(&input)?)
            } else {
                None
            };
            let created =
                cmd::create_user(db, role.into(), agency.as_deref(), &email, password).await?;
            let role = sipas::domain::auth::Role::from(role);
            match created.generated {
                Some(password) => {
                    // The password alone on stdout, so `PW=$(sipas users create …)` captures it.
                    println!("{}", password.expose());
                    eprintln!(
                        "created account {} (role {role}); its password is shown only this once",
                        created.id
                    );
                }
                None => eprintln!("created account {} (role {role})", created.id),
            }
        }
        UsersAction::List => {
            let list = cmd::list_users(db).await?;
            print!("{}", cmd::format_users(&list, chrono::Utc::now()));
        }
        UsersAction::Disable { user } => match cmd::disable_user(db, &user).await? {
            (id, Disabled::Now { sessions_ended }) => {
                eprintln!("disabled account {id}; ended {sessions_ended} open session(s)")
            }
            (id, Disabled::Already(at)) => eprintln!("account {id} was already disabled at {at}"),
            (_, Disabled::NoSuchUser) => anyhow::bail!("there is no account {user}"),
        },
    }
    Ok(())
}

async fn import(db: &sea_orm::DatabaseConnection, file: &std::path::Path) -> anyhow::Result<()> {
    match commands::import_agencies(db, file).await {
        Ok(count) => {
            eprintln!("imported {count} agencies from {}", file.display());
            Ok(())
        }
        Err(e) => import_failed(file, e),
    }
}

/// `sipas agencies reorganise`: each change on standard output, or each bad line on standard
/// error.
async fn reorganise(
    db: &sea_orm::DatabaseConnection,
    file: &std::path::Path,
    effective_from: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    match commands::agencies::reorganise_file(db, file, effective_from, dry_run).await {
        Ok(summary) => {
            for line in &summary.lines {
                println!("{line}");
            }
            let done = if dry_run { "would change" } else { "changed" };
            eprintln!(
                "{done} from {effective_from}: {} created, {} renamed, {} moved, {} closed, {} merged{}",
                summary.created,
                summary.renamed,
                summary.moved,
                summary.closed,
                summary.merged,
                if dry_run {
                    " (dry run: nothing was written)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Err(ImportError::Invalid(errors)) => {
            report_rows(file, &errors);
            anyhow::bail!(
                "{} error(s) in {}; nothing was changed",
                errors.len(),
                file.display()
            )
        }
        Err(ImportError::Other(e)) => Err(e),
    }
}

async fn import_responses(
    db: &sea_orm::DatabaseConnection,
    settings: &sipas::config::Settings,
    import: &ResponseImport<'_>,
) -> anyhow::Result<()> {
    match commands::responses::import_responses(db, settings, import).await {
        Ok(summary) => {
            report_rows(import.file, &summary.skipped);
            eprintln!(
                "stored {} response(s) from {} ({} invalid return(s) among them); skipped {} row(s)",
                summary.stored,
                import.file.display(),
                summary.invalid_returns,
                summary.skipped.len()
            );
            Ok(())
        }
        Err(e) => import_failed(import.file, e),
    }
}

/// Each bad row as `FILE:LINE: FIELD: MESSAGE`, on standard error.
fn report_rows(file: &std::path::Path, errors: &[RowError]) {
    for e in errors {
        eprintln!("{}:{}: {}: {}", file.display(), e.line, e.field, e.message);
    }
}

fn import_failed(file: &std::path::Path, error: ImportError) -> anyhow::Result<()> {
    match error {
        ImportError::Invalid(errors) => {
            report_rows(file, &errors);
            anyhow::bail!(
                "{} error(s) in {}; nothing was imported",
                errors.len(),
                file.display()
            )
        }
        ImportError::Other(e) => Err(e),
    }
}
