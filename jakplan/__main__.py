from jakplan.cli import main

main()
