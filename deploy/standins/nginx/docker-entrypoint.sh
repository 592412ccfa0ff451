#!/bin/sh
# Minimal take on the official nginx image's entrypoint: render /etc/nginx/templates/*.template into
# /etc/nginx/conf.d/ with envsubst (only variables that are defined, so nginx's own $variables survive),
# run the executable *.sh scripts of /docker-entrypoint.d/ in order, then exec the command.
set -eu
if [ "${1:-}" = "nginx" ]; then
  if [ -d /etc/nginx/templates ]; then
    defined="$(env | cut -d= -f1 | sed 's/^/${/; s/$/}/' | tr '\n' ' ')"
    for template in /etc/nginx/templates/*.template; do
      [ -f "$template" ] || continue
      out="/etc/nginx/conf.d/$(basename "$template" .template)"
      envsubst "$defined" < "$template" > "$out"
      echo "$0: rendered $template to $out"
    done
  fi
  for script in /docker-entrypoint.d/*.sh; do
    [ -f "$script" ] || continue
    if [ -x "$script" ]; then echo "$0: running $script"; "$script"; else echo "$0: ignoring $script, not executable"; fi
  done
fi
exec "$@"
