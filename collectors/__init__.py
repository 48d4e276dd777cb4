"""Where data enters actorwatch: the shared data model, the store, trackers and the collectors."""
