select * replace (array_to_string(colonnes_masquees, ', ') as colonnes_masquees) from diffusion.pppi_indicateurs
