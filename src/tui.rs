//! Terminal setup and restore, the input task and the render throttle.
