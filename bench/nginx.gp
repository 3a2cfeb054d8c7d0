# Chart of bench/nginx.sh: the nginx worker's CPU time per request (median
# of the rounds) for each case, without the module, with otel_trace off and
# with every request traced and exported. Usage:
#   gnuplot -e "dat='build/bench/nginx.dat'; out='docs/nginx.svg'" bench/nginx.gp
if (!exists("dat")) dat = 'build/bench/nginx.dat'
if (!exists("out")) out = 'docs/nginx.svg'
set terminal svg size 640,380 font "sans,12" background rgb "white" noenhanced
set output out
set title "nginx 1.22 worker CPU per request (median of wrk rounds)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "CPU microseconds per request"
set yrange [0:*]
set grid ytics
set key top left
cmd = "awk '{ v[$1 \" \" $2] = $5 } END { split(\"static proxy\", c, \" \"); for (i = 1; i <= 2; i++) printf \"%s %s %s %s\\n\", c[i], v[c[i] \" none\"], v[c[i] \" off\"], v[c[i] \" on\"] }' ".dat
$d << EOD
EOD
set print $d
print system(cmd)
unset print
plot $d using 2:xtic(1) title "module not loaded", \
     '' using 3 title "loaded, otel_trace off", \
     '' using 4 title "every request traced + exported"
