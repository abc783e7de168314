# releasekit noxfile template (being written)
