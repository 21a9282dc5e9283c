#!/bin/sh
# Turn schema/NNNN_name.sql files into a C table of migrations, in order.
set -eu
echo '/* Generated from the schema directory by scripts/embed-migrations.sh. */'
echo '#include "store/store.h"'
echo 'const struct migration migrations[] = {'
for f in "$@"; do
	name=$(basename "$f" .sql)
	printf '\t{ "%s",\n' "$name"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t    "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '};'
echo 'const size_t nmigrations = sizeof(migrations) / sizeof(migrations[0]);'
