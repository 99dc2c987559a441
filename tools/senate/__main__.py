from senate.cli.main import main

main()
