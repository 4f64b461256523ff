/** Reports: plots (Vega-Lite → SVG/PNG) and the self-contained report.html of a run directory. */
export { evaluatePlotTables, plotToVegaLite, renderPng, renderSvg, type PlotTables, type VegaLiteSpec } from "./plots.js";
export { rebuildReport, writeReport, plotNames, type PlotOutcome, type ReportOutcome, type ReportResult, type ReportSources } from "./report.js";
export { watchReport, type ReportWatch, type WatchOptions } from "./watch.js";
export { loadResults, readManifest, readReportInput, REPORT_INPUT, tensorFiles, type ReportInput } from "./run-files.js";
export { gaussianKde, linspace, scottBandwidth } from "../numerics/kde.js";
export { LINE_CAP, SCATTER_CAP, thinMinMax, thinUniform } from "./downsample.js";
export { OKABE_ITO } from "./colors.js";
export { highlightDyn } from "./highlight.js";
export { heatmapPlot, RECT_CAP } from "./plot-heatmap.js";
export { heatColorScale, type HeatColorScale } from "./heatmap-colors.js";
export { RASTER_MAX_SIDE } from "./heatmap-grid.js";
export { encodePng, pngDataUrl } from "./png.js";
export { recordedTensors, selectSnapshots, type MatrixHeatmapSpec, type MatrixSnapshot, type RecordedTensors, type TensorRecord } from "./recorded-tensors.js";
