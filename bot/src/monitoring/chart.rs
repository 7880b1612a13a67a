//! The response-time chart for `/status`: a PNG drawn with plotters into an RGB buffer. [`render`]
//! is pure: the points, the window and the [`Labels`] in, PNG bytes out.
//!
//! Plotters draws the shapes; the text (title, ticks) is drawn afterwards by [`text`] with DejaVu
//! Sans embedded in the binary, so the host needs no fonts. The title names the monitor and the
//! time zone; the y axis is labelled in milliseconds at grey lines on 0, 25, 50, 75 and 100 % of
//! the highest latency; the x axis shows HH:MM in the reader's zone, on round local times. The
//! x-range runs from the first check to the end of the window, at least [`MIN_SPAN_SECS`], so a new
//! monitor's checks fill the chart rather than a sliver of a day. Successful checks are a blue line
//! (gaps where checks failed), each failure a red bar along the top, and every DOWN period (from a
//! failed check to the next success) is shaded pale red. The figures stay in the photo's caption.

mod text;

use std::fmt::Write as _;

use chrono::{Offset, TimeZone};
use plotters::prelude::*;
use shared::tz::Tz;

use text::{Align, Pen};

/// One check: when (Unix seconds) and its latency, or None for a failure.
pub type Point = (i64, Option<u32>);

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 360;
/// The narrowest x-range, in seconds: an hour.
pub const MIN_SPAN_SECS: i64 = 3600;
/// The shade of a DOWN period.
pub const DOWN_SHADE: RGBColor = RGBColor(253, 226, 226);

/// The words on a chart, passed in so the caller picks language and zone (and a test can blank them).
#[derive(Debug, Clone)]
pub struct Labels {
    /// Above the plot, e.g. `#3 example.com — response time (Europe/Berlin)`.
    pub title: String,
    /// After each latency on the y axis: `ms`, `мс`.
    pub unit: String,
    /// The zone the time ticks are placed and written in.
    pub zone: Tz,
    /// A time tick's label as a chrono format string; `%H:%M` by [`Labels::new`].
    pub clock: String,
}

impl Labels {
    /// Labels with HH:MM time ticks in `zone`.
    pub fn new(title: String, unit: String, zone: Tz) -> Labels {
        Labels { title, unit, zone, clock: "%H:%M".to_owned() }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font did not parse.
    #[error("the embedded chart font does not load")]
    Font,
    /// Plotters refused a drawing step.
    #[error("drawing the chart: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("encoding the chart as png")]
    Png(#[from] png::EncodingError),
}

/// Renders `points` of the window `[from, to]` as a PNG; see the module doc for what is drawn.
pub fn render(points: &[Point], from: i64, to: i64, labels: &Labels) -> Result<Vec<u8>, ChartError> {
    let rgb = render_rgb(points, from, to, labels)?;
    let mut png_bytes = Vec::new();
    {
        // The writer finishes the PNG when it drops, at the end of this block.
        let mut encoder = png::Encoder::new(&mut png_bytes, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&rgb)?;
    }
    Ok(png_bytes)
}

/// The drawn x-range: from the first check (not before `from`) to `to`, widened to the left to at
/// least [`MIN_SPAN_SECS`].
pub fn x_range(points: &[Point], from: i64, to: i64) -> (i64, i64) {
    let end = points.iter().map(|(at, _)| *at).max().unwrap_or(to).max(to);
    let first = points.iter().map(|(at, _)| *at).min().unwrap_or(from).max(from);
    (first.min(end - MIN_SPAN_SECS), end)
}

/// The DOWN periods: from each failed check that follows a success (or starts the data) to the
/// next successful check, or to `end` while the last checks failed.
pub fn down_periods(points: &[Point], end: i64) -> Vec<(i64, i64)> {
    let mut periods = Vec::new();
    let mut down_since = None;
    for (at, latency) in points {
        match (latency, down_since) {
            (None, None) => down_since = Some(*at),
            (Some(_), Some(since)) => {
                periods.push((since, *at));
                down_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = down_since {
        periods.push((since, end.max(since)));
    }
    periods
}

// The layout is fixed, whatever the labels say, so a chart without text has the same plot.
const TITLE_HEIGHT: u32 = 30;
const Y_LABEL_WIDTH: u32 = 76;
const X_LABEL_HEIGHT: u32 = 26;
const MARGIN_RIGHT: u32 = 24;
const MARGIN_BOTTOM: u32 = 4;
const TICK_LENGTH: i32 = 5;
const TITLE_SIZE: f32 = 17.0;
const TICK_SIZE: f32 = 13.0;
const INK: [u8; 3] = [60, 60, 60];
const GRID: RGBColor = RGBColor(220, 220, 220);
const AXIS: RGBColor = RGBColor(150, 150, 150);

/// A text to draw once plotters is done with the buffer.
struct Caption {
    text: String,
    size: f32,
    at: (f32, f32),
    align: Align,
}

fn draw_err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// The picture as WIDTH × HEIGHT RGB bytes, before PNG encoding.
fn render_rgb(points: &[Point], from: i64, to: i64, labels: &Labels) -> Result<Vec<u8>, ChartError> {
    let (start, end) = x_range(points, from, to);
    // Whole milliseconds on the y axis: no latency is finer.
    let top = i64::from(points.iter().filter_map(|(_, l)| *l).max().unwrap_or(1).max(1));
    let y_max = top + (top / 10).max(1);
    let mut quarters: Vec<i64> = (0..=4).map(|q| (top * q + 2) / 4).collect();
    quarters.dedup();

    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    let mut captions = Vec::new();
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (_, plot_area) = root.split_vertically(TITLE_HEIGHT);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin_right(MARGIN_RIGHT)
            .margin_bottom(MARGIN_BOTTOM)
            .x_label_area_size(X_LABEL_HEIGHT)
            .y_label_area_size(Y_LABEL_WIDTH)
            .build_cartesian_2d(start..end, 0..y_max)
            .map_err(draw_err)?;
        // The shade goes first, so the grid and the line stay visible over it.
        chart
            .draw_series(
                down_periods(points, end)
                    .into_iter()
                    .map(|(since, until)| Rectangle::new([(since, 0), (until, y_max)], DOWN_SHADE.filled())),
            )
            .map_err(draw_err)?;
        for ms in &quarters {
            chart.draw_series(LineSeries::new([(start, *ms), (end, *ms)], GRID.stroke_width(1))).map_err(draw_err)?;
            let (x, y) = chart.backend_coord(&(start, *ms));
            root.draw(&PathElement::new([(x - TICK_LENGTH, y), (x, y)], AXIS)).map_err(draw_err)?;
            let text = format!("{ms} {}", labels.unit).trim_end().to_owned();
            captions.push(Caption { text, size: TICK_SIZE, at: (x as f32 - 8.0, y as f32), align: Align::Right });
        }
        for at in time_ticks(start, end, labels.zone) {
            let (x, y) = chart.backend_coord(&(at, 0));
            root.draw(&PathElement::new([(x, y), (x, y + TICK_LENGTH)], AXIS)).map_err(draw_err)?;
            let (text, y) = (clock_label(at, labels), (y + TICK_LENGTH) as f32 + TICK_SIZE * 0.75);
            captions.push(Caption { text, size: TICK_SIZE, at: (x as f32, y), align: Align::Center });
        }
        chart.draw_series(LineSeries::new([(start, y_max), (start, 0), (end, 0)], AXIS)).map_err(draw_err)?;

        // One line per run of successes, so a failure leaves a gap.
        let mut runs: Vec<Vec<(i64, i64)>> = vec![Vec::new()];
        for (at, latency) in points {
            match latency {
                Some(ms) => runs.last_mut().expect("a run").push((*at, i64::from(*ms))),
                None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
                None => {}
            }
        }
        // Segment by segment: plotters joins a wide polyline with unbounded miters, so a sharp
        // zigzag of dense checks would shoot spikes across the chart.
        let blue = RGBColor(33, 102, 172);
        for run in runs.iter().filter(|r| !r.is_empty()) {
            if let [only] = run.as_slice() {
                chart.draw_series([Circle::new(*only, 2, blue.filled())]).map_err(draw_err)?;
            }
            let segments = run.windows(2).map(|w| PathElement::new([w[0], w[1]], blue.stroke_width(2)));
            chart.draw_series(segments).map_err(draw_err)?;
        }
        let red = RGBColor(214, 39, 40);
        let bar = ((end - start) / 400).max(1);
        let bar_bottom = y_max - (y_max / 14).max(1);
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|(_, l)| l.is_none())
                    .map(|(at, _)| Rectangle::new([(*at, bar_bottom), (*at + bar, y_max)], red.filled())),
            )
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }

    let mut pen = Pen::new(&mut rgb, WIDTH, HEIGHT).ok_or(ChartError::Font)?;
    let title = pen.fit(&labels.title, TITLE_SIZE, (WIDTH - 16) as f32);
    let title_at = (WIDTH as f32 / 2.0, TITLE_HEIGHT as f32 / 2.0);
    pen.draw(&title, TITLE_SIZE, [0, 0, 0], title_at, Align::Center);
    for caption in captions {
        pen.draw(&caption.text, caption.size, INK, caption.at, caption.align);
    }
    Ok(rgb)
}

/// A tick's label: `at` in the labels' zone and clock format; empty if the format is not valid.
fn clock_label(at: i64, labels: &Labels) -> String {
    let mut label = String::new();
    if let Some(local) = labels.zone.timestamp_opt(at, 0).single()
        && write!(label, "{}", local.format(&labels.clock)).is_err()
    {
        label.clear();
    }
    label
}

/// Up to 8 time ticks in `[start, end]` on round local times of `zone` (every 10 min, 30 min,
/// 1 h, 3 h…), keeping clear of the edges where a label would be cut.
fn time_ticks(start: i64, end: i64, zone: Tz) -> Vec<i64> {
    const STEPS: [i64; 12] = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 43200];
    let span = (end - start).max(1);
    let step = STEPS.iter().copied().find(|s| span / s <= 8).unwrap_or(86400);
    let margin = span / 40;
    // Aligning each tick on its own offset keeps them on round local times across a DST change.
    let align = |at: i64| {
        let offset = i64::from(zone.offset_from_utc_datetime(&utc(at)).fix().local_minus_utc());
        (at + offset + step - 1).div_euclid(step) * step - offset
    };
    let mut ticks = Vec::new();
    let mut at = align(start + margin);
    while at <= end - margin {
        ticks.push(at);
        at = align(at + step);
    }
    ticks
}

fn utc(at: i64) -> chrono::NaiveDateTime {
    chrono::DateTime::from_timestamp(at, 0).unwrap_or_default().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = Tz::Europe__Berlin;

    fn labels() -> Labels {
        Labels::new("#3 example.com — response time (Europe/Berlin)".into(), "ms".into(), BERLIN)
    }

    fn blank() -> Labels {
        Labels { title: String::new(), unit: String::new(), zone: BERLIN, clock: String::new() }
    }

    /// Checks every minute for `n` minutes up to `to`; `failed` says which minutes failed.
    fn minutes(n: i64, to: i64, failed: impl Fn(i64) -> bool) -> Vec<Point> {
        (0..n).map(|i| (to - (n - 1 - i) * 60, if failed(i) { None } else { Some(20 + (i % 7) as u32) })).collect()
    }

    fn pixel(rgb: &[u8], x: u32, y: u32) -> &[u8] {
        let i = ((y * WIDTH + x) * 3) as usize;
        &rgb[i..i + 3]
    }

    /// How many pixels differ between two renders inside `xs` × `ys`.
    fn differing(a: &[u8], b: &[u8], xs: std::ops::Range<u32>, ys: std::ops::Range<u32>) -> usize {
        ys.flat_map(|y| xs.clone().map(move |x| (x, y))).filter(|&(x, y)| pixel(a, x, y) != pixel(b, x, y)).count()
    }

    const TO: i64 = 1_790_000_000;

    #[test]
    fn a_chart_is_a_png_with_the_line_and_the_failures_drawn() {
        let points = minutes(100, TO, |i| i % 10 == 5);
        let png_bytes = render(&points, TO - 86400, TO, &labels()).unwrap();
        // To look at it: TELEOPS_CHART_OUT=/tmp/chart.png cargo test -p bot chart
        if let Ok(path) = std::env::var("TELEOPS_CHART_OUT") {
            std::fs::write(path, &png_bytes).unwrap();
        }
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(3).collect();
        let blue = pixels.iter().filter(|p| p[2] > 150 && p[0] < 80).count();
        let red = pixels.iter().filter(|p| p[0] > 180 && p[1] < 80).count();
        assert!(blue > 500, "the latency line is drawn ({blue} blue pixels)");
        assert!(red > 50, "the failures are drawn ({red} red pixels)");
    }

    // See: issue 8 — the charts had no text at all, because plotters drew without a font.
    #[test]
    fn issue_8_the_title_and_both_axes_carry_text() {
        // Arrange: the same points, once labelled and once with empty label strings, so the axis
        // lines, grid and data are identical and only text can differ.
        let points = minutes(180, TO, |i| (100..110).contains(&i));
        let (from, to) = (TO - 86400, TO);

        // Act
        let labelled = render_rgb(&points, from, to, &labels()).unwrap();
        let unlabelled = render_rgb(&points, from, to, &blank()).unwrap();

        // Assert
        let below_plot = HEIGHT - X_LABEL_HEIGHT - 4..HEIGHT;
        let title = differing(&labelled, &unlabelled, 0..WIDTH, 0..TITLE_HEIGHT);
        let y_ticks = differing(&labelled, &unlabelled, 0..Y_LABEL_WIDTH, TITLE_HEIGHT..below_plot.start);
        let x_ticks = differing(&labelled, &unlabelled, Y_LABEL_WIDTH..WIDTH, below_plot);
        assert!(title > 200, "the title is drawn ({title} pixels differ)");
        assert!(y_ticks > 100, "the y ticks carry their unit ({y_ticks} pixels differ)");
        assert!(x_ticks > 200, "the x ticks carry times ({x_ticks} pixels differ)");
        let plot = differing(&labelled, &unlabelled, Y_LABEL_WIDTH..WIDTH, TITLE_HEIGHT..HEIGHT - X_LABEL_HEIGHT - 4);
        assert_eq!(plot, 0, "labels do not move the plot");
    }

    #[test]
    fn cyrillic_letters_are_drawn_as_letters_not_boxes() {
        // Two titles of the same length: a font without Cyrillic would draw both as the same row
        // of missing-glyph boxes.
        let points = minutes(60, TO, |_| false);
        let title = |text: &str| Labels { title: text.into(), ..Labels::new(String::new(), "мс".into(), BERLIN) };
        let a = render_rgb(&points, TO - 86400, TO, &title("время ответа")).unwrap();
        let b = render_rgb(&points, TO - 86400, TO, &title("сдвиг запуск")).unwrap();
        assert!(differing(&a, &b, 0..WIDTH, 0..TITLE_HEIGHT) > 100);
    }

    #[test]
    fn the_x_range_spans_the_data_and_at_least_an_hour() {
        let from = TO - 86400;
        assert_eq!(x_range(&minutes(10, TO, |_| false), from, TO), (TO - 3600, TO), "10 minutes of data");
        assert_eq!(x_range(&minutes(300, TO, |_| false), from, TO), (TO - 299 * 60, TO), "5 hours of data");
        assert_eq!(x_range(&minutes(3000, TO, |_| false), from, TO), (from, TO), "not before the window");
        assert_eq!(x_range(&[], from, TO), (from, TO));
    }

    #[test]
    fn down_periods_run_from_a_failure_to_the_next_success() {
        let points = [(0, Some(5)), (60, None), (120, None), (180, Some(5)), (240, None)];
        assert_eq!(down_periods(&points, 300), [(60, 180), (240, 300)]);
        assert_eq!(down_periods(&[(0, Some(5)), (60, Some(6))], 300), []);
    }

    #[test]
    fn a_down_period_is_shaded_and_nothing_is_without_failures() {
        let shade = [DOWN_SHADE.0, DOWN_SHADE.1, DOWN_SHADE.2];
        let shaded_columns = |rgb: &[u8]| -> Vec<u32> {
            (0..WIDTH).filter(|&x| (TITLE_HEIGHT..HEIGHT).any(|y| pixel(rgb, x, y) == shade)).collect()
        };
        // Two hours of checks, DOWN from minute 60 to minute 75.
        let points = minutes(120, TO, |i| (60..75).contains(&i));
        let columns = shaded_columns(&render_rgb(&points, TO - 86400, TO, &labels()).unwrap());
        let (left, right) = (Y_LABEL_WIDTH as f64, f64::from(WIDTH - 24));
        let x = |minute: f64| left + (right - left) * minute / 119.0;
        let (first, last) = (*columns.first().unwrap(), *columns.last().unwrap());
        assert!((f64::from(first) - x(60.0)).abs() <= 3.0, "shade starts at the first failure (x {first})");
        assert!((f64::from(last) - x(75.0)).abs() <= 3.0, "shade ends at the next success (x {last})");

        let healthy = minutes(120, TO, |_| false);
        assert!(shaded_columns(&render_rgb(&healthy, TO - 86400, TO, &labels()).unwrap()).is_empty());
    }

    #[test]
    fn time_ticks_fall_on_round_local_times() {
        // 2026-09-21 00:00 UTC is 02:00 in Berlin and 05:30 in Kolkata.
        let midnight = 1_789_948_800;
        let berlin_day = time_ticks(midnight, midnight + 86400, BERLIN);
        let berlin_hour = time_ticks(midnight, midnight + 3600, BERLIN);
        let kolkata_hour = time_ticks(midnight, midnight + 3600, Tz::Asia__Kolkata);
        let show = |ticks: &[i64], zone| {
            let labels = Labels::new(String::new(), String::new(), zone);
            ticks.iter().map(|at| clock_label(*at, &labels)).collect::<Vec<_>>()
        };
        assert_eq!(show(&berlin_day, BERLIN), ["03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00", "00:00"]);
        assert_eq!(show(&berlin_hour, BERLIN), ["02:10", "02:20", "02:30", "02:40", "02:50"]);
        assert_eq!(show(&kolkata_hour, Tz::Asia__Kolkata), ["05:40", "05:50", "06:00", "06:10", "06:20"]);
    }

    #[test]
    fn an_empty_or_failed_only_window_still_renders() {
        assert!(render(&[], 0, 3600, &labels()).is_ok());
        assert!(render(&[(10, None), (20, None)], 0, 3600, &labels()).is_ok());
        assert!(render(&[(10, Some(3))], 0, 3600, &blank()).is_ok());
    }
}
