//! The shop's time. The running shop reads the system clock; a test moves its own shop's clock
//! forward (a lock that ends, a reservation that expires) instead of rewriting timestamps in the
//! database. Every deadline the shop writes and every comparison with one reads this clock.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Clock {
    /// How far this shop's time runs ahead of the system clock.
    ahead: Arc<watch::Sender<Duration>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            ahead: Arc::new(watch::channel(Duration::zero()).0),
        }
    }
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.ahead()
    }

    /// Moves this shop's time forward; the scheduled jobs run at once, as they would have by then.
    pub fn advance(&self, by: Duration) {
        self.ahead.send_modify(|ahead| *ahead += by);
    }

    /// How far this shop's time has been moved ahead of the system clock.
    pub fn ahead(&self) -> Duration {
        *self.ahead.borrow()
    }

    /// Changes whenever the clock is moved.
    pub fn moves(&self) -> watch::Receiver<Duration> {
        self.ahead.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_clock_runs_ahead_by_what_it_was_moved() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::minutes(31));
        let ahead = clock.now() - before;
        assert!(ahead >= Duration::minutes(31) && ahead < Duration::minutes(32));
    }
}
