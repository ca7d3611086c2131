"""Running tarjama on Prefect: start runs and deliver decisions (control), serve or deploy the flow, the watchers,
notifications, the temporary API of a command without a server, the demo stack. May import flows/ and tarjama/."""
