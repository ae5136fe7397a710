//! Building and running the server: connect, migrate, bind (port 0 allowed), serve, and shut
//! down gracefully on SIGTERM/SIGINT.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::http;
use crate::http::metrics::Metrics;
use crate::persistence;
use crate::state::AppState;

/// A built, bound, not yet running server.
pub struct Application {
    addr: SocketAddr,
    server: Server,
    db: DatabaseConnection,
}

impl Application {
    /// Connects to the configured database and builds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = persistence::connect(&settings.database).await?;
        Self::build_with_db(settings, db).await
    }

    /// Builds the server on an open database (tests pass their own).
    pub async fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        if settings.database.migrate_on_start {
            persistence::migrate_up(&db)
                .await
                .context("applying database migrations")?;
        }
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let addr = listener.local_addr()?;
        let state = web::Data::new(AppState {
            db: db.clone(),
            public_base_url: settings.public_base_url(addr),
            metrics: Metrics::default(),
            settings,
        });
        let workers = state.settings.server.workers;
        let shutdown = state.settings.server.shutdown_timeout_secs;
        let mut server = HttpServer::new(move || http::app(state.clone()))
            .shutdown_timeout(shutdown)
            .client_request_timeout(Duration::from_secs(30));
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Self { addr, server, db })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The database the server uses.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Serves until SIGTERM/SIGINT, lets in-flight requests finish (bounded by
    /// `server.shutdown_timeout_secs`), then closes the pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        tracing::info!("server stopped; closing the database pool");
        self.db.close().await?;
        Ok(())
    }
}
