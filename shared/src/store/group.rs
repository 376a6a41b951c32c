//! Group commit: the requests in flight in one instance share one commit.
//!
//! Spin hands one instance up to 16 concurrent requests. Each request joins the instance's [`Group`]
//! with its item; the first to find nobody committing leads: it yields once, so that the requests that
//! are ready run up to their own join, then commits everything queued in one go and hands each request
//! its answer. Requests that join while a commit is in flight wait for it to finish, then the first of
//! them leads the next batch. A request is answered only when its batch's commit has finished.
//!
//! The queue is the only request state kept in the instance, and only while its requests are in flight:
//! it is empty whenever no request is.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// At most this many rounds of yields while requests keep joining, so that a steady stream of arrivals
/// cannot hold a batch back.
const MAX_YIELDS: usize = 16;

/// One instance's queue of items waiting for a commit. Lives in a `thread_local!` (a wasm instance has
/// one thread), so every request the instance serves finds the same queue.
pub struct Group<I, O> {
    state: RefCell<State<I, O>>,
}

struct State<I, O> {
    queue: Vec<(I, Rc<Slot<O>>)>,
    /// A request is leading: collecting or committing a batch.
    leading: bool,
}

/// Where a waiting request finds its turn.
struct Slot<O> {
    turn: RefCell<Option<Turn<O>>>,
    waker: RefCell<Option<Waker>>,
}

enum Turn<O> {
    /// The batch holding this request's item was committed: its answer.
    Done(O),
    /// This request leads the next batch.
    Lead,
    /// The request leading this item's batch went away mid-commit: the outcome is unknown.
    Abandoned,
}

/// The request that led an item's batch went away while committing it, so whether the item was
/// written is unknown (a request's future is dropped when its client goes away).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the batch's commit was abandoned; its outcome is unknown")]
pub struct Abandoned;

impl<I, O> Default for Group<I, O> {
    fn default() -> Self {
        Self {
            state: RefCell::new(State {
                queue: Vec::new(),
                leading: false,
            }),
        }
    }
}

impl<O> Slot<O> {
    fn new() -> Rc<Self> {
        Rc::new(Self {
            turn: RefCell::new(None),
            waker: RefCell::new(None),
        })
    }

    fn give(&self, turn: Turn<O>) {
        *self.turn.borrow_mut() = Some(turn);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    fn holds_lead(&self) -> bool {
        matches!(*self.turn.borrow(), Some(Turn::Lead))
    }

    async fn wait(&self) -> Turn<O> {
        poll_fn(|cx| match self.turn.borrow_mut().take() {
            Some(turn) => Poll::Ready(turn),
            None => {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl<I, O> Group<I, O> {
    /// Queues `item` and answers with what `commit` made of it. `commit` gets a batch of items (this one
    /// among them) and answers one output per item, in order; whichever request leads runs it.
    pub async fn join<F, Fut>(&self, item: I, commit: F) -> Result<O, Abandoned>
    where
        F: FnOnce(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<O>>,
    {
        let slot = Slot::new();
        let mut member = Member {
            group: self,
            slot: slot.clone(),
            leading: false,
            batch: Vec::new(),
            finished: false,
        };
        let lead_now = {
            let mut state = self.state.borrow_mut();
            state.queue.push((item, slot.clone()));
            !std::mem::replace(&mut state.leading, true)
        };
        if !lead_now {
            match slot.wait().await {
                Turn::Done(output) => {
                    member.finished = true;
                    return Ok(output);
                }
                Turn::Abandoned => {
                    member.finished = true;
                    return Err(Abandoned);
                }
                Turn::Lead => {}
            }
        }
        member.leading = true;
        // Two yields: the first lets the host see this instance waiting (so it may hand it more
        // requests), the second lets it accept those queued; then keep yielding while requests join.
        yield_now().await;
        let mut queued = 0;
        for _ in 0..MAX_YIELDS {
            yield_now().await;
            let now = self.state.borrow().queue.len();
            if now == queued {
                break;
            }
            queued = now;
        }
        let batch = std::mem::take(&mut self.state.borrow_mut().queue);
        let (items, slots): (Vec<I>, Vec<Rc<Slot<O>>>) = batch.into_iter().unzip();
        member.batch = slots;
        let outputs = commit(items).await;
        member.finished = true;
        hand_over(&mut self.state.borrow_mut());
        let mut mine = None;
        for (waiting, output) in std::mem::take(&mut member.batch).into_iter().zip(outputs) {
            if Rc::ptr_eq(&waiting, &slot) {
                mine = Some(output);
            } else {
                waiting.give(Turn::Done(output));
            }
        }
        Ok(mine.expect("a commit answers every item of its batch"))
    }

    /// The number of items waiting (for tests and figures).
    pub fn queued(&self) -> usize {
        self.state.borrow().queue.len()
    }
}

/// Passes the lead to the first request waiting, or notes that nobody leads.
fn hand_over<I, O>(state: &mut State<I, O>) {
    match state.queue.first() {
        Some((_, next)) => next.give(Turn::Lead),
        None => state.leading = false,
    }
}

/// One request's part in its group, kept until it has its answer. If the request's future is dropped
/// before (its client went away), its item leaves the queue, the requests of a batch it was committing
/// learn that the outcome is unknown, and the lead passes on, so that nobody waits forever.
struct Member<'a, I, O> {
    group: &'a Group<I, O>,
    slot: Rc<Slot<O>>,
    leading: bool,
    /// The batch this request is committing, while it is.
    batch: Vec<Rc<Slot<O>>>,
    finished: bool,
}

impl<I, O> Drop for Member<'_, I, O> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut state = self.group.state.borrow_mut();
        state.queue.retain(|(_, s)| !Rc::ptr_eq(s, &self.slot));
        for waiting in self.batch.drain(..) {
            if !Rc::ptr_eq(&waiting, &self.slot) {
                waiting.give(Turn::Abandoned);
            }
        }
        if self.leading || self.slot.holds_lead() {
            hand_over(&mut state);
        }
    }
}

/// Lets every other task that is ready run once before this one goes on. On Spin this is the component
/// model's `yield`: the requests of the instance that are ready run up to their own next wait.
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;

    /// A commit that records each batch's items and answers each item doubled, after a wait.
    async fn commit(log: Rc<RefCell<Vec<Vec<u32>>>>, items: Vec<u32>) -> Vec<u32> {
        log.borrow_mut().push(items.clone());
        yield_now().await;
        items.iter().map(|i| i * 2).collect()
    }

    #[test]
    fn concurrent_joins_share_one_commit_and_each_gets_its_own_answer() {
        let group: Rc<Group<u32, u32>> = Rc::new(Group::default());
        let batches = Rc::new(RefCell::new(Vec::new()));
        let answers = Rc::new(RefCell::new(Vec::new()));
        let mut pool = LocalPool::new();
        for i in 0..8 {
            let (group, batches, answers) = (group.clone(), batches.clone(), answers.clone());
            pool.spawner()
                .spawn_local(async move {
                    let out = group.join(i, |items| commit(batches, items)).await.unwrap();
                    answers.borrow_mut().push((i, out));
                })
                .unwrap();
        }
        pool.run();
        let batches = batches.borrow();
        assert_eq!(batches.len(), 1, "one commit for all: {batches:?}");
        let mut answers = answers.borrow().clone();
        answers.sort();
        assert_eq!(answers, (0..8).map(|i| (i, i * 2)).collect::<Vec<_>>());
        assert_eq!(group.queued(), 0);
    }

    #[test]
    fn requests_arriving_during_a_commit_form_the_next_batch() {
        let group: Rc<Group<u32, u32>> = Rc::new(Group::default());
        let batches = Rc::new(RefCell::new(Vec::new()));
        let done = Rc::new(Cell::new(0));
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        for i in 0..3 {
            let (group, batches, done, spawner2) = (
                group.clone(),
                batches.clone(),
                done.clone(),
                spawner.clone(),
            );
            spawner
                .spawn_local(async move {
                    group
                        .join(i, |items| commit(batches.clone(), items))
                        .await
                        .unwrap();
                    done.set(done.get() + 1);
                    if i == 0 {
                        // Joins after the first batch was taken: must not be lost.
                        for j in 10..12 {
                            let (group, batches, done) =
                                (group.clone(), batches.clone(), done.clone());
                            spawner2
                                .spawn_local(async move {
                                    group.join(j, |items| commit(batches, items)).await.unwrap();
                                    done.set(done.get() + 1);
                                })
                                .unwrap();
                        }
                    }
                })
                .unwrap();
        }
        pool.run();
        assert_eq!(done.get(), 5);
        let all: Vec<u32> = batches.borrow().iter().flatten().copied().collect();
        assert_eq!(
            all.len(),
            5,
            "each item committed once: {:?}",
            batches.borrow()
        );
        assert_eq!(group.queued(), 0);
    }

    #[test]
    fn a_leader_that_goes_away_mid_commit_fails_its_batch_and_hands_the_queue_on() {
        let group: Rc<Group<u32, u32>> = Rc::new(Group::default());
        let batches = Rc::new(RefCell::new(Vec::new()));
        let answers = Rc::new(RefCell::new(Vec::new()));
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        let join = |i: u32| {
            let (group, batches, answers) = (group.clone(), batches.clone(), answers.clone());
            async move {
                let out = group.join(i, |items| commit(batches, items)).await;
                answers.borrow_mut().push((i, out));
            }
        };
        // The leader's commit never ends; item 1 is in its batch.
        let leader = {
            let group = group.clone();
            async move {
                group
                    .join(0, |_items| futures::future::pending::<Vec<u32>>())
                    .await
            }
        };
        let handle = spawner.spawn_local_with_handle(leader).unwrap();
        spawner.spawn_local(join(1)).unwrap();
        pool.run_until_stalled();
        // Items 2 and 3 arrive while that commit is in flight.
        spawner.spawn_local(join(2)).unwrap();
        spawner.spawn_local(join(3)).unwrap();
        pool.run_until_stalled();
        assert!(answers.borrow().is_empty(), "all wait behind the leader");
        drop(handle);
        pool.run();
        let mut answers = answers.borrow().clone();
        answers.sort_by_key(|(i, _)| *i);
        assert_eq!(
            answers,
            vec![(1, Err(Abandoned)), (2, Ok(4)), (3, Ok(6))],
            "the abandoned batch's member learns it; the next batch is committed"
        );
        assert_eq!(group.queued(), 0);
    }
}
