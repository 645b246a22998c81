# The handler of the shell runtime: gets the event as $1, prints the response.
handler() {
  echo "handling $1" >&2
  printf '{"message":"Hello from a shell bootstrap","event":%s}' "$1"
}
