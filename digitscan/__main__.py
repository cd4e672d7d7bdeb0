from digitscan.cli import main

if __name__ == "__main__":  # importing it (a tool, a test) starts nothing
    main()
