#!/bin/sh
# Vendor Swagger UI's browser files into api/static/swagger/, so /schema renders with no internet.
#
#   usage: api/static/refresh-swagger.sh VERSION      e.g. api/static/refresh-swagger.sh 5.35.0
#
# Fetches swagger-ui-dist from the npm registry with `npm pack`, copies only the files the
# page loads plus the licence texts, and rewrites swagger/README.md to name the version.
# After a refresh, run tests/integration/operations/test_docs.py and look at /schema in a browser.
set -eu

version=${1:?usage: $0 VERSION (see https://www.npmjs.com/package/swagger-ui-dist)}
target=$(cd "$(dirname "$0")" && pwd)/swagger

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$work"/swagger-ui-dist-*.tgz -C "$work"
package="$work/package"
actual=$(node -p "require('$package/package.json').version")

rm -rf "$target"
mkdir -p "$target"
for file in \
    swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt \
    swagger-ui-standalone-preset.js swagger-ui-standalone-preset.js.LICENSE.txt \
    swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
    cp "$package/$file" "$target/$file"
done

cat >"$target/README.md" <<README
# Swagger UI $actual (vendored)

The browser files of [swagger-ui-dist](https://www.npmjs.com/package/swagger-ui-dist) $actual,
served at \`/schema-assets/swagger/\` so that the page at \`/schema\` needs no CDN
(see \`api/docs.py\`). Apache-2.0: see \`LICENSE\` and \`NOTICE\`; the \`*.LICENSE.txt\` files
list the licences of the libraries bundled into the scripts.

Refreshed with:

    api/static/refresh-swagger.sh $version

which runs \`npm pack swagger-ui-dist@$version\` and copies only the files listed there.
README
echo "swagger-ui-dist $actual vendored into $target"
