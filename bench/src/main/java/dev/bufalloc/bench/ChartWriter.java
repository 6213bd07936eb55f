package dev.bufalloc.bench;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.List;
import java.util.Map;

/**
 * Draws one PNG with a horizontal bar chart of ns/op per scenario, on a log axis (their scales
 * differ too much to share one axis, and peers within a scenario differ by 100x), bufalloc's bars in orange and the peers' in blue. Needs no display: run with
 * {@code -Djava.awt.headless=true}.
 */
public final class ChartWriter {

    private static final int PANEL_WIDTH = 620;
    private static final int PANEL_HEIGHT = 300;
    private static final int COLUMNS = 2;
    private static final Color BUFALLOC = new Color(0xE6, 0x7E, 0x22);
    private static final Color PEER = new Color(0x2E, 0x86, 0xC1);

    private ChartWriter() {}

    /**
     * Draws the chart.
     *
     * @param scenarios each scenario's title and its results, in report order
     * @param png where to write the image
     * @throws IOException if it cannot be written
     */
    public static void write(Map<String, List<BenchmarkResult>> scenarios, Path png) throws IOException {
        int rows = (scenarios.size() + COLUMNS - 1) / COLUMNS;
        BufferedImage image = new BufferedImage(PANEL_WIDTH * COLUMNS, PANEL_HEIGHT * Math.max(rows, 1),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        graphics.setColor(Color.WHITE);
        graphics.fillRect(0, 0, image.getWidth(), image.getHeight());
        int index = 0;
        for (Map.Entry<String, List<BenchmarkResult>> scenario : scenarios.entrySet()) {
            Rectangle2D area = new Rectangle2D.Double((index % COLUMNS) * PANEL_WIDTH,
                    (index / COLUMNS) * PANEL_HEIGHT, PANEL_WIDTH, PANEL_HEIGHT);
            panel(scenario.getKey(), scenario.getValue()).draw(graphics, area);
            index++;
        }
        graphics.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static JFreeChart panel(String title, List<BenchmarkResult> results) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        for (BenchmarkResult result : results) {
            dataset.addValue(result.score(), "ns/op", result.method());
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, null, dataset,
                PlotOrientation.HORIZONTAL, false, false, false);
        chart.getTitle().setFont(chart.getTitle().getFont().deriveFont(13f));
        CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        double smallest = results.stream().mapToDouble(BenchmarkResult::score).filter(x -> x > 0).min().orElse(1);
        double largest = results.stream().mapToDouble(BenchmarkResult::score).max().orElse(10);
        LogAxis axis = new LogAxis("ns/op, log scale (lower is better)");
        axis.setSmallestValue(smallest / 2);
        axis.setRange(smallest / 2, largest * 1.5);
        axis.setNumberFormatOverride(new DecimalFormat("#,##0.###"));
        plot.setRangeAxis(axis);
        BarRenderer renderer = new BarRenderer() {
            private static final long serialVersionUID = 1L;

            @Override
            public Paint getItemPaint(int row, int column) {
                return results.get(column).peer().equals("bufalloc") ? BUFALLOC : PEER;
            }
        };
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setMaximumBarWidth(0.12);
        renderer.setBase(smallest / 2);   // bars start at the log axis's floor, not at 0
        plot.setRenderer(renderer);
        return chart;
    }
}
