package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	naiveColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red
	pavedColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
)

// chart draws one scenario's runs over time, in two panels: above,
// successful calls per second; below, the requests the dependency received
// per second (the load each client put on it). Marks, such as an outage's
// start and end, are drawn as vertical lines in both.
func chart(dir string, sc *scenario, runs []result) (string, error) {
	c := vgsvg.New(chartWidth, chartHeight)
	render(c, sc, runs)
	path := filepath.Join(dir, sc.name+".svg")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := c.WriteTo(f); err != nil {
		_ = f.Close()
		return "", err
	}
	return path, f.Close()
}

// The charts' size.
const chartWidth, chartHeight = 9 * vg.Inch, 6 * vg.Inch

// render draws the chart of sc's runs on c.
func render(c vg.CanvasSizer, sc *scenario, runs []result) {
	top := panel(sc.title, "successful calls / s", runs, func(s series) []float64 { return s.okPerSec }, sc.marks)
	bottom := panel("", "requests at the dependency / s", runs, func(s series) []float64 { return s.arrivedPerSec }, sc.marks)
	bottom.X.Label.Text = "seconds"

	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadX: vg.Points(4), PadY: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
}

func panel(title, ylabel string, runs []result, pick func(series) []float64, marks []mark) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	ymax := 1.0
	for _, r := range runs {
		ys := pick(r.series)
		pts := make(plotter.XYs, len(ys))
		for i, y := range ys {
			pts[i].X = (time.Duration(i) * bucket).Seconds()
			pts[i].Y = y
			ymax = max(ymax, y)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		l.Color = pavedColor
		if r.client == "naive" {
			l.Color = naiveColor
		}
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(legendName(r.client), l)
	}
	for _, m := range marks {
		l, err := plotter.NewLine(plotter.XYs{{X: m.at.Seconds(), Y: 0}, {X: m.at.Seconds(), Y: ymax}})
		if err != nil {
			continue
		}
		l.Color = color.Gray{Y: 0x80}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		if title != "" {
			p.Legend.Add(m.label, l)
		}
	}
	p.Y.Min = 0
	p.Y.Max = ymax * 1.5 // headroom for the legend, above the lines
	return p
}

func legendName(client string) string {
	if client == "naive" {
		return fmt.Sprintf("naive (http.Client, %d attempts)", naiveAttempts)
	}
	return "paved"
}
