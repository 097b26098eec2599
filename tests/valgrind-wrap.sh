#!/bin/sh
# Writes, for each program in BIN, a wrapper in OUT/bin that runs it under
# valgrind memcheck. Errors and definite or indirect leaks make the program
# exit 99, so a test pinning the exit status fails; the reports go to
# OUT/logs/PROGRAM.PID.log, never to the stderr the tests pin. The reports'
# stacks leave out inlined frames (--read-inline-info=no): reading them
# costs a sixth of each start-up, and the tier starts the tools thousands
# of times.
#   valgrind-wrap.sh BIN OUT
set -eu
bin=$1
out=$2
mkdir -p "$out/bin" "$out/logs"
rm -f "$out/logs"/*.log
for p in "$bin"/*; do
	[ -x "$p" ] || continue
	name=$(basename "$p")
	cat > "$out/bin/$name" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --track-fds=no --read-inline-info=no \\
	--log-file="$out/logs/$name.%p.log" "$p" "\$@"
WRAP
	chmod 755 "$out/bin/$name"
done
