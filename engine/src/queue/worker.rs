//! The queue worker: keeps up to N queued experiments running through an
//! executor until the queue is empty, and turns runs that ended without an
//! outcome into failed entries.

use std::time::Duration;

use super::entry::EntryStatus;
use super::executor::{Executor, RunState};
use super::store::{now, Queue, QueueError};
use crate::repro::CancelToken;

/// What the worker reports as entries move.
pub trait WorkerEvents {
    fn started(&self, _id: &str, _name: &str) {}
    fn finished(&self, _id: &str, _name: &str, _status: EntryStatus) {}
}

pub struct NoWorkerEvents;

impl WorkerEvents for NoWorkerEvents {}

/// Runs queued entries `jobs` at a time until none is queued or running, or
/// until `cancel` is set (running entries are then cancelled).
pub fn run_queue(
    queue: &Queue,
    executor: &mut dyn Executor,
    jobs: usize,
    events: &dyn WorkerEvents,
    cancel: &CancelToken,
) -> Result<(), QueueError> {
    let jobs = jobs.max(1);
    let mut running: Vec<String> = Vec::new();
    loop {
        if cancel.is_cancelled() {
            for id in &running {
                if let Ok(entry) = queue.load(id) {
                    let _ = executor.cancel(queue, &entry);
                    let _ = queue.update(id, |stored| {
                        stored.status = EntryStatus::Cancelled;
                        stored.finished = Some(now());
                        stored.error = Some("the queue worker was stopped".to_string());
                    });
                }
            }
            return Ok(());
        }

        // Check on the running entries.
        let mut still_running = Vec::new();
        for id in running.drain(..) {
            let Ok(entry) = queue.load(&id) else {
                continue;
            };
            match executor.poll(queue, &entry) {
                RunState::Pending | RunState::Running => still_running.push(id),
                RunState::Finished => {
                    let entry = queue.load(&id)?;
                    let status = if entry.status == EntryStatus::Running {
                        // The process ended without recording an outcome.
                        queue.update(&id, |stored| {
                            stored.status = EntryStatus::Failed;
                            stored.finished = Some(now());
                            stored.error.get_or_insert_with(|| {
                                "the run ended without a result; see its log".to_string()
                            });
                        })?;
                        EntryStatus::Failed
                    } else {
                        entry.status
                    };
                    events.finished(&id, &entry.name, status);
                }
                RunState::Lost(reason) => {
                    let entry = queue.update(&id, |stored| {
                        if !stored.status.is_finished() {
                            stored.status = EntryStatus::Failed;
                            stored.finished = Some(now());
                            stored.error = Some(reason.clone());
                        }
                        stored.clone()
                    })?;
                    events.finished(&id, &entry.name, entry.status);
                }
            }
        }
        running = still_running;

        // Start more while there is room.
        while running.len() < jobs {
            let Some(entry) = queue.claim_next(executor.name())? else {
                break;
            };
            events.started(&entry.id, &entry.name);
            match executor.start(queue, &entry) {
                Ok(()) => running.push(entry.id.clone()),
                Err(error) => {
                    queue.update(&entry.id, |stored| {
                        stored.status = EntryStatus::Failed;
                        stored.finished = Some(now());
                        stored.error = Some(error.to_string());
                    })?;
                    events.finished(&entry.id, &entry.name, EntryStatus::Failed);
                }
            }
        }

        if running.is_empty() {
            return Ok(());
        }
        // A check reads one small JSON file per running entry, so a short
        // interval costs little and starts the next entry sooner.
        std::thread::sleep(Duration::from_millis(25));
    }
}
