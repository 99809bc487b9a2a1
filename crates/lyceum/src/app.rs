//! Wiring: configuration → database → service → router and mail worker; and serving them.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::ServeArgs;
use crate::kernel::{Lyceum, Settings};
use crate::security::ratelimit::{Limiter, Limits};
use crate::web::{AppState, WebSettings};

/// A built application, not yet serving.
pub struct App {
    pub state: AppState,
    pub router: axum::Router,
    pub mailer: lyceum_mail::Worker,
}

const HOUR_MS: i64 = 3_600_000;

/// Connects, migrates and wires everything.
pub async fn build(args: &ServeArgs) -> anyhow::Result<App> {
    std::fs::create_dir_all(&args.store.data_dir)
        .with_context(|| format!("creating {}", args.store.data_dir.display()))?;
    let (pool, backend) = crate::kernel::db::connect(&args.store.url(), args.db_connections)
        .await
        .context("connecting to the database")?;
    crate::kernel::db::migrate(&pool, backend).await.context("applying migrations")?;
    let base_url = args.base_url();
    let mailer = lyceum_mail::Worker::new(
        pool.clone(),
        lyceum_mail::MailConfig {
            from: args.mail_from.clone(),
            smtp_url: args.smtp_url.clone(),
            outbox_dir: args.store.data_dir.join("outbox"),
            max_attempts: 10,
        },
    )?;
    let lyceum = Lyceum {
        pool,
        backend,
        settings: Settings {
            base_url: base_url.clone(),
            invitation_ttl_ms: args.invitation_ttl_hours * HOUR_MS,
            session_idle_ms: args.session_idle_hours * HOUR_MS,
            session_absolute_ms: args.session_absolute_hours * HOUR_MS,
            max_invitation_batch: args.max_invitation_batch,
            credit_value_minor: args.credit_value_minor,
            currency: args.currency.clone(),
            ai_default_model: args.ai_default_model.clone().filter(|m| !m.is_empty()),
            reservation_ttl_ms: match args.credit_reservation_ttl_s {
                0 => crate::credits::ledger::reservation_ttl_ms(args.ai_timeout_s),
                s => s as i64 * 1000,
            },
            max_upload_bytes: args.max_upload_bytes,
        },
        limits: Limits {
            login_per_account: Limiter::per_minute(args.login_rate_per_account),
            login_per_ip: Limiter::per_minute(args.login_rate_per_ip),
            signup_per_ip: Limiter::per_minute(args.signup_rate_per_ip),
            invitations_per_actor: Limiter::per_minute(args.invite_rate_per_actor),
        },
        mail_wakeup: mailer.notifier(),
        caches: crate::kernel::caches::Caches::new(args.member_directory_capacity),
        ai: args.ai_client().context("configuring the AI provider")?,
        objects: crate::kernel::objects::Objects::open(args.object_store_url.as_deref(), &args.store.data_dir)
            .context("opening the object store")?,
    };
    // A crash between reserve and settle leaves reservations behind: release them now.
    let repaired = lyceum.credits().repair().await.context("repairing credit reservations")?;
    if repaired > 0 {
        tracing::warn!(repaired, "released credit reservations left by an earlier run");
    }
    if lyceum.backend == crate::kernel::db::Backend::Postgres {
        crate::kernel::caches::invalidation::start(&args.store.url(), lyceum.caches.clone())
            .await
            .context("listening for cache invalidations")?;
    }
    let web = WebSettings {
        public_origin: origin_of(&base_url),
        secure_cookies: base_url.starts_with("https://"),
        trust_proxy: args.trust_proxy,
        max_body_bytes: args.max_body_bytes,
    };
    crate::web::system::metrics_handle();
    let state = AppState { lyceum: Arc::new(lyceum), web: Arc::new(web) };
    let router = crate::routes::router(state.clone());
    Ok(App { state, router, mailer })
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()),
        None => url.to_owned(),
    }
}

/// Serves until Ctrl-C or SIGTERM, with the mail worker beside it.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let app = build(&args).await?;
    if args.demo {
        crate::demo::seed_if_empty(&app.state.lyceum).await?;
    }
    let listener = TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(app.mailer.run(stop_rx));
    let lyceum = app.state.lyceum.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            lyceum.limits.forget_idle();
            // Reservations of calls that never settled (their node died) expire and are released.
            match lyceum.credits().repair().await {
                Ok(0) => {}
                Ok(released) => tracing::warn!(released, "released expired credit reservations"),
                Err(error) => tracing::warn!(%error, "releasing expired credit reservations failed"),
            }
            // Trashed courses past their retention go, with the media nothing else uses.
            match lyceum.learning().purge_trash(crate::kernel::db::now_ms()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "purged trashed courses past their retention"),
                Err(error) => tracing::warn!(%error, "purging the trash failed"),
            }
        }
    });
    tracing::info!(listen = %args.listen, base_url = %args.base_url(), backend = ?app.state.lyceum.backend, "lyceum is serving");
    axum::serve(listener, app.router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn origin_drops_the_path() {
        assert_eq!(super::origin_of("https://lyceum.example.com/app/"), "https://lyceum.example.com");
        assert_eq!(super::origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
