// The rate the public viewer page and /widget.js ask for (?hz=), put into their bundles by routes/pages-bundle.ts.
/**
 * 2 Hz: 5x fewer frames and 5x smaller bursts than 10 Hz, 27x fewer bytes than the full snapshot at 10 Hz, the count-up
 * animation (400 ms) still runs without pauses, and the number on screen is at most 0.5 s + one fold behind; measured
 * in bench/README.md ("Viewer page rate").
 */
export const viewerPageHz = 2;
