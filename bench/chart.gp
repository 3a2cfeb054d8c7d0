# `make bench`'s bar chart: thread CPU ns per op of cotel, Go and Rust per
# case (log scale: Go is 10x). Input chart.dat (bench/combine.py):
# "case cotel go rust", "-" where an implementation has no such case.
# usage: gnuplot -e "dat='build/bench/chart.dat'; out='build/bench/chart.svg'" bench/chart.gp
set terminal svg size 1000,520 dynamic font "sans,11" background "white"
set output out
set title "Thread CPU time per operation (lower is better; log scale)"
set ylabel "ns per op (thread CPU)"
set logscale y
set yrange [1:*]
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 left noenhanced
set key outside top center horizontal
set datafile missing "-"
plot dat using 2:xtic(1) title "cotel" lc rgb "#1b7837", \
     ''  using 3 title "opentelemetry-go" lc rgb "#5ab4ac", \
     ''  using 4 title "opentelemetry-rust" lc rgb "#d8b365"
