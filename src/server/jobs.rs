//! Background jobs. A feature declares its own with `inventory::submit!` beside its code; the server
//! starts every declared job when it starts serving and stops them all when it stops.

use super::AppState;
use super::clock::Clock;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// What a job runs: a future that owns what it needs.
pub type Work = Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct Job {
    /// For the logs.
    pub name: &'static str,
    pub schedule: Schedule,
    pub run: fn(AppState) -> Work,
}

pub enum Schedule {
    /// A worker that runs as long as the server does and wakes itself.
    Worker,
    /// Once a period (read from the shop's settings), starting at once, and again whenever the shop's
    /// clock is moved.
    Every(fn(&AppState) -> Duration),
}

inventory::collect!(Job);

/// The jobs of a serving shop.
pub struct Running(Vec<(&'static str, tokio::task::JoinHandle<()>)>);

pub fn start(state: &AppState) -> Running {
    Running(
        inventory::iter::<Job>
            .into_iter()
            .map(|job| {
                let state = state.clone();
                let handle = match job.schedule {
                    Schedule::Worker => tokio::spawn((job.run)(state)),
                    Schedule::Every(period) => {
                        tokio::spawn(every(job.name, period(&state), job.run, state))
                    }
                };
                tracing::debug!(job = job.name, "job started");
                (job.name, handle)
            })
            .collect(),
    )
}

async fn every(name: &'static str, period: Duration, run: fn(AppState) -> Work, state: AppState) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut moves = state.db.clock().moves();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            Ok(()) = moves.changed() => {}
            () = state.jobs.wake.notified() => {}
        }
        let at = state.db.clock().ahead();
        run(state.clone()).await;
        state.jobs.ran(name, at);
    }
}

/// How far into the shop's time each scheduled job has run: what a test that moves the clock waits
/// for before it looks at what the jobs did.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    runs: Arc<watch::Sender<BTreeMap<&'static str, chrono::Duration>>>,
    wake: Arc<tokio::sync::Notify>,
}

impl Progress {
    fn ran(&self, job: &'static str, at: chrono::Duration) {
        self.runs.send_modify(|runs| {
            runs.insert(job, at);
        });
    }

    /// Runs the scheduled jobs now, for work that should not wait for their period (a file to
    /// import); one already running finishes first.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Waits until every scheduled job has run since the clock was last moved.
    pub async fn caught_up(&self, clock: &Clock) {
        let now = clock.ahead();
        let scheduled = inventory::iter::<Job>
            .into_iter()
            .filter(|job| matches!(job.schedule, Schedule::Every(_)))
            .count();
        let mut runs = self.runs.subscribe();
        // The sender lives as long as the shop's state, which outlives this wait.
        let _ = runs
            .wait_for(|runs| runs.len() == scheduled && runs.values().all(|at| *at >= now))
            .await;
    }
}

impl Running {
    /// Stops every job where it waits; work a job does is transactional, so what it had not
    /// committed is undone and done again by the next start.
    pub fn stop(self) {
        for (name, handle) in self.0 {
            handle.abort();
            tracing::debug!(job = name, "job stopped");
        }
    }
}
