/* Placeholder: the transport (module <-> xstap-run) is being written. */
