//! The response-time chart for `/status`: a PNG drawn with plotters, without text (so no font is
//! needed on the host); the figures go in the photo's caption instead.
//!
//! Successful checks are a blue line (gaps where checks failed), failures red bars along the top,
//! and grey lines mark 25, 50, 75 and 100 % of the highest latency.

use plotters::prelude::*;

/// One check: when (Unix seconds) and its latency, or None for a failure.
pub type Point = (i64, Option<u32>);

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 360;

/// Renders `points` over `[from, to]` as a PNG.
pub fn render(points: &[Point], from: i64, to: i64) -> anyhow::Result<Vec<u8>> {
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    let top = points.iter().filter_map(|(_, l)| *l).max().unwrap_or(1).max(1);
    let y_max = f64::from(top) * 1.1;
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let area = root.margin(12, 12, 12, 12);
        let mut chart = ChartBuilder::on(&area)
            .build_cartesian_2d(from..to.max(from + 1), 0.0..y_max)
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let grey = RGBColor(220, 220, 220);
        for q in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let y = f64::from(top) * q;
            chart
                .draw_series(LineSeries::new([(from, y), (to, y)], grey.stroke_width(1)))
                .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        }
        // One line per run of successes, so a failure leaves a gap.
        let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
        for (at, latency) in points {
            match latency {
                Some(ms) => runs.last_mut().expect("a run").push((*at, f64::from(*ms))),
                None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
                None => {}
            }
        }
        let blue = RGBColor(33, 102, 172);
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            chart.draw_series(LineSeries::new(run, blue.stroke_width(2))).map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        }
        let red = RGBColor(214, 39, 40);
        let bar = (to - from).max(1) / 400;
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|(_, l)| l.is_none())
                    .map(|(at, _)| Rectangle::new([(*at, y_max * 0.93), (*at + bar.max(1), y_max)], red.filled())),
            )
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("chart: {e}"))?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&rgb)?;
    }
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_a_png_with_the_line_and_the_failures_drawn() {
        let points: Vec<Point> =
            (0..100).map(|i| (i * 60, if i % 10 == 5 { None } else { Some(20 + i as u32) })).collect();
        let png_bytes = render(&points, 0, 99 * 60).unwrap();
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

    #[test]
    fn an_empty_or_failed_only_window_still_renders() {
        assert!(render(&[], 0, 3600).is_ok());
        assert!(render(&[(10, None), (20, None)], 0, 3600).is_ok());
    }
}
