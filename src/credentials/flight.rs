//! A single-flight cell: the first caller runs the work, every concurrent caller awaits the same
//! result. Single-threaded (`Rc` + `RefCell` + wakers), no executor needed.
//!
//! If the caller running the work is dropped before it finishes, the flight is marked abandoned
//! and its waiters are woken to start over, so nobody waits forever.

use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;

#[derive(Debug)]
enum State<T> {
    Running(Vec<Waker>),
    Done(T),
    Abandoned,
}

/// One in-flight computation shared by several callers.
#[derive(Debug)]
pub struct Flight<T> {
    state: RefCell<State<T>>,
}

impl<T: Clone> Flight<T> {
    /// A new running flight.
    pub fn new() -> Rc<Self> {
        Rc::new(Self {
            state: RefCell::new(State::Running(Vec::new())),
        })
    }

    /// Stores the result and wakes every waiter.
    pub fn complete(&self, value: T) {
        self.finish(State::Done(value));
    }

    /// Marks the flight abandoned (its runner was dropped) and wakes every waiter.
    pub fn abandon(&self) {
        if matches!(*self.state.borrow(), State::Running(_)) {
            self.finish(State::Abandoned);
        }
    }

    fn finish(&self, next: State<T>) {
        let prev = self.state.replace(next);
        if let State::Running(wakers) = prev {
            for w in wakers {
                w.wake();
            }
        }
    }

    /// Waits for the result: `Some(value)`, or `None` if the flight was abandoned.
    pub fn wait(self: &Rc<Self>) -> Wait<T> {
        Wait(Rc::clone(self))
    }

    /// Whether the result is in.
    pub fn is_done(&self) -> bool {
        !matches!(*self.state.borrow(), State::Running(_))
    }
}

/// The future returned by [`Flight::wait`].
#[derive(Debug)]
pub struct Wait<T>(Rc<Flight<T>>);

impl<T: Clone> Future for Wait<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.0.state.borrow_mut();
        match &mut *state {
            State::Done(v) => Poll::Ready(Some(v.clone())),
            State::Abandoned => Poll::Ready(None),
            State::Running(wakers) => {
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

/// Abandons the flight when dropped unless [`Runner::finish`] was called.
#[derive(Debug)]
pub struct Runner<T: Clone> {
    flight: Rc<Flight<T>>,
}

impl<T: Clone> Runner<T> {
    /// Guards `flight`.
    pub fn new(flight: Rc<Flight<T>>) -> Self {
        Self { flight }
    }

    /// Completes the flight with `value`.
    pub fn finish(self, value: T) {
        self.flight.complete(value);
    }
}

impl<T: Clone> Drop for Runner<T> {
    fn drop(&mut self) {
        self.flight.abandon();
    }
}
