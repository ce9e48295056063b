select * from diffusion.suivi_fiches
